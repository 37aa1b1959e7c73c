"""Clean + split speed on 2,000 AllSides articles (median of 3)."""
import statistics, time
import pandas as pd
from framing import config
from framing import preprocess as pp
df = pd.read_parquet(config.data_dir() / 'data' / 'allsides_baly2020' / 'articles.parquet', columns=['ID', 'title', 'content_original']).head(2000)
pp.clean_text("warm up."); pp.split_sentences("Warm up. Twice.")
def run():
    arts = pd.DataFrame({
        "article_id": df.ID, "title": [pp.clean_text(t, language="en") for t in df.title],
        "text": [pp.clean_text(t, language="en") for t in df.content_original],
        "language": "en", "status": "ok"})
    return pp.split_articles(arts)
for name, f in (("clean", lambda: [pp.clean_text(t, language="en") for t in df.content_original]),
                ("split", lambda: [pp.split_sentences(t, language="en") for t in df.content_original]),
                ("clean+split_articles", run)):
    times, cpu = [], []
    for _ in range(3):
        t, c = time.perf_counter(), time.process_time(); out = f()
        times.append(time.perf_counter() - t); cpu.append(time.process_time() - c)
    print(f"{name}: {len(df) / statistics.median(times):.0f} articles/s wall, {len(df) / statistics.median(cpu):.0f} articles/s per CPU-second (median of 3)")
print("words/article", round(df.content_original.str.split().str.len().mean()), "sentences", len(out))
