"""Tests of framing.report and framing.analysis.report_tables: a synthetic run folder (3 outlets x
3 targets x 10 articles, text we wrote) through write_comparison and build_report, escaping, determinism, and a headless browser."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from framing.analysis import plots, report_tables
from framing.infra.errors import ConfigError, DataError
from framing.report.build import REPORT_HTML, REPORT_MD, build_report
from framing.report.evidence import evidence_passages
from framing.report.html import highlight_html
from framing.report.markdown import highlight_markdown
from framing.runs import folders as runs

OUTLETS = ("Daily Planet", "The Bugle", "Harbour <Times> & Co")
TARGETS = ("CN", "EU", "US")
ACTORS = {"CN": "Beijing", "EU": "Brussels", "US": "Washington"}
# Mean stance each outlet leans to, per target: the tables should find these directions.
LEAN = {
    "Daily Planet": {"CN": -0.6, "EU": 0.0, "US": 0.5},
    "The Bugle": {"CN": 0.5, "EU": 0.4, "US": -0.6},
    "Harbour <Times> & Co": {"CN": 0.0, "EU": -0.4, "US": 0.1},
}
# Words only one outlet uses, so that distinguishing terms have something to find.
VOCAB = {"Daily Planet": "superpower", "The Bugle": "hegemony", "Harbour <Times> & Co": "shipping"}
SCRIPT_PAYLOAD = "<script>alert(1)</script>"
IMG_PAYLOAD = "<img src=x onerror=alert(1)>"
# If escaping failed, these would change the page in a way the dumped DOM shows.
DOM_SCRIPT = "<script>document.title='PWNED'</script>"
DOM_IMG = "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"
TITLE = "Synthetic outlets & targets"
SEED = 7


def _slug(outlet: str) -> str:
    return re.sub(r"[^a-z]+", "-", outlet.lower()).strip("-")


def _term(sentence: str, term: str, category: str, polarity: int) -> dict:
    start = sentence.index(term)
    return {
        "term": term,
        "category": category,
        "polarity": polarity,
        "start": start,
        "end": start + len(term),
    }


def _sentence(outlet: str, target: str, i: int, score: float) -> tuple[str, list[dict]]:
    actor, word = ACTORS[target], VOCAB[outlet]
    if score < 0:
        text = f"In dispatch {i}, the {word} {actor} was accused of bullying its partners."
        return text, [_term(text, "bullying", "conflict", -1)]
    text = f"In dispatch {i}, the {word} {actor} offered a partnership on shared research."
    return text, [_term(text, "partnership", "cooperation", 1)]


def _label(score: float) -> str:
    return "favor" if score > 0.1 else "against" if score < -0.1 else "neutral"


def synthetic_tables() -> dict[str, pd.DataFrame]:
    """Articles, mentions, frames and scores (with evidence) we invented for these tests."""
    articles, scores, mentions, frames = [], [], [], []
    for outlet in OUTLETS:
        for i in range(10):
            aid = f"{_slug(outlet)}-{i:02d}"
            articles.append({"article_id": aid, "outlet": outlet, "status": "ok"})
            for target in TARGETS:
                score = max(-1.0, min(1.0, LEAN[outlet][target] + 0.1 * ((i % 5) - 2)))
                text, terms = _sentence(outlet, target, i, score)
                evidence = [
                    {"sent_id": 1, "sentence": text, "score": round(score, 3), "terms": terms}
                ]
                if outlet == "Daily Planet" and target == "CN" and i < 2:
                    payload = (
                        (SCRIPT_PAYLOAD + " " + IMG_PAYLOAD) if i == 0 else (DOM_SCRIPT + DOM_IMG)
                    )
                    planted = f"Critics called it bullying {payload} in {ACTORS[target]}."
                    evidence.insert(
                        0,
                        {
                            "sent_id": 2,
                            "sentence": planted,
                            "score": -2.5,
                            "terms": [_term(planted, "bullying", "conflict", -1)],
                        },
                    )
                scores.append(
                    {
                        "article_id": aid,
                        "outlet": outlet,
                        "target": target,
                        "method": "lexicon",
                        "score": score,
                        "label": _label(score),
                        "confidence": 0.5,
                        "n_mentions": len(evidence),
                        "n_cues": len(evidence),
                        "evidence": evidence,
                    }
                )
                for item in evidence:
                    mentions.append(
                        {
                            "article_id": aid,
                            "sent_id": item["sent_id"],
                            "target": target,
                            "sentence": item["sentence"],
                        }
                    )
                for tgt in (target, ""):
                    frames.append(
                        {
                            "article_id": aid,
                            "outlet": outlet,
                            "target": tgt,
                            "category": "conflict",
                            "count": int(score < 0),
                            "weight": 0.0,
                        }
                    )
                    frames.append(
                        {
                            "article_id": aid,
                            "outlet": outlet,
                            "target": tgt,
                            "category": "cooperation",
                            "count": int(score >= 0),
                            "weight": 0.0,
                        }
                    )
    frames = (
        pd.DataFrame(frames)
        .groupby(["article_id", "outlet", "target", "category"], as_index=False)[
            ["count", "weight"]
        ]
        .sum()
    )
    return {
        "articles": pd.DataFrame(articles),
        "scores": pd.DataFrame(scores),
        "mentions": pd.DataFrame(mentions),
        "frames": frames,
    }


def make_run(run_dir: Path, *, manifest: bool = True) -> dict[str, Path]:
    tables = synthetic_tables()
    written = report_tables.write_comparison(
        tables["scores"],
        run_dir,
        frames=tables["frames"],
        mentions=tables["mentions"],
        articles=tables["articles"],
        random_state=SEED,
        n_boot=200,
        n_perm=199,
        min_n=5,
        formats=("svg",),
    )
    if manifest:
        runs.write_json(
            {
                "experiment": "synthetic",
                "run_id": "abc123",
                "seed": SEED,
                "framing_version": "0.1.0",
                "code_sha256": "f" * 64,
                "git": {"sha": "0123456789abcdef", "dirty": False},
                "config": {
                    "description": "Invented articles for the report tests.",
                    "report": {"title": TITLE},
                    "scoring": {"method": "lexicon", "lexicon": "framing-stance-v1", "model": ""},
                    "targets": {"lexicon": "targets-v1"},
                    "compare": {
                        "by": ["outlet"],
                        "n_boot": 200,
                        "n_perm": 199,
                        "ci": 0.95,
                        "test": "permutation",
                        "min_n": 5,
                    },
                },
                "inputs": {
                    "scoring.lexicon": {"/x/lexicons/framing-stance-v1": "ab" * 32},
                    "targets.lexicon": {"/x/lexicons/targets-v1": "cd" * 32},
                },
                "counts": {"n_articles": 31, "n_processed": 30},
                "versions": {"python": "3.11", "pandas": "3.0"},
                "timings": {"written": "2099-01-01T00:00:00"},  # must never reach the report
            },
            run_dir / runs.MANIFEST_FILE,
        )
    return written


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("run")
    make_run(path)
    build_report(path)
    return path


@pytest.fixture(scope="module")
def page(run_dir) -> str:
    return (run_dir / REPORT_HTML).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def markdown(run_dir) -> str:
    return (run_dir / REPORT_MD).read_text(encoding="utf-8")


class _Tags(HTMLParser):
    """Start tags and their attributes, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def _parse(text: str) -> _Tags:
    parser = _Tags()
    parser.feed(text)
    return parser


# ------------------------------------------------------------------------------------------
# write_comparison


def test_write_comparison_writes_tables_figures_and_record(run_dir):
    for name in ("scores", "outlet_table", "contrasts", "frame_table", "distinguishing_terms"):
        assert (run_dir / report_tables.TABLE_FILES[name]).is_file(), name
    assert not (run_dir / report_tables.TABLE_FILES["same_event"]).exists()  # no event column given
    stems = {p.stem for p in (run_dir / "figures").glob("*.svg")}
    assert {
        "stance-by-outlet-heatmap",
        "stance-interval-us",
        "stance-distribution-cn",
        "stance-difference-eu",
        "frames-article-level",
        "frames-cn",
    } <= stems
    assert "distinguishing-terms-us-harbour-times-co" in stems
    record = runs.read_table(run_dir / "outlet_table.parquet")
    planet_cn = record[(record.outlet == "Daily Planet") & (record.target == "CN")].iloc[0]
    assert planet_cn["mean"] < -0.3  # the invented lean is found
    assert planet_cn["ci_low"] <= planet_cn["mean"] <= planet_cn["ci_high"]
    comparison = (run_dir / report_tables.COMPARISON_FILE).read_text(encoding="utf-8")
    assert '"n_boot": 200' in comparison and "no event column" in comparison


def test_write_comparison_drops_files_it_no_longer_writes(tmp_path):
    tables = synthetic_tables()
    report_tables.write_comparison(
        tables["scores"],
        tmp_path,
        frames=tables["frames"],
        random_state=1,
        n_boot=50,
        n_perm=49,
        formats=("svg",),
    )
    assert (tmp_path / "frame_table.parquet").is_file()
    assert (tmp_path / "figures" / "frames-cn.svg").is_file()
    written = report_tables.write_comparison(
        tables["scores"], tmp_path, random_state=1, n_boot=50, n_perm=49, formats=("svg",)
    )
    assert not (tmp_path / "frame_table.parquet").exists()
    assert not (tmp_path / "figures" / "frames-cn.svg").exists()
    assert (tmp_path / "figures" / "stance-interval-cn.svg") == written[
        "figures/stance-interval-cn.svg"
    ]


def test_write_comparison_groups_from_articles_events_and_a_second_method(tmp_path):
    tables = synthetic_tables()
    leaning = {"Daily Planet": "left", "The Bugle": "right", "Harbour <Times> & Co": "centre"}
    articles = tables["articles"].assign(
        leaning=tables["articles"]["outlet"].map(leaning),
        event=[
            "ev-1" if aid.endswith(("00", "01")) else "" for aid in tables["articles"]["article_id"]
        ],
    )
    model = tables["scores"].assign(
        method="model", score=lambda t: -t["score"] / 2, label=lambda t: t["score"].map(_label)
    )
    written = report_tables.write_comparison(
        tables["scores"],
        tmp_path,
        articles=articles,
        compare_with=model,
        by=("leaning",),
        random_state=3,
        n_boot=50,
        n_perm=49,
        formats=("svg",),
    )
    assert {"same_event", "disagreement_summary", "disagreement_examples"} <= set(written)
    assert "figures/stance-by-leaning-heatmap.svg" in written
    page = build_report(tmp_path)["html"].read_text(encoding="utf-8")
    assert "Stance by leaning" in page and "centre vs left" in page
    assert "Lexicon versus model" in page and "Articles where the two methods disagree" in page
    assert "ev-1" in page
    # Evidence is grouped by the same column as the tables.
    assert '<h4 id="target-1-evidence-1">centre</h4>' in page


# ------------------------------------------------------------------------------------------
# the report


def test_report_files_exist_and_name_every_outlet_and_target(run_dir, page, markdown):
    assert (run_dir / "report.html").is_file() and (run_dir / "report.md").is_file()
    for outlet in OUTLETS:
        assert html.escape(outlet) in page
        assert outlet.replace("<", "&lt;").replace(">", "&gt;") in markdown  # a plain "&" stays
    for target in TARGETS:
        assert f"Target: {target}</h2>" in page
        assert f"## Target: {target}" in markdown
    assert f"<title>{html.escape(TITLE)}</title>" in page


def test_report_sections_tables_and_methods(page, markdown):
    for text in (
        "Overview",
        "Methods",
        "Stance by outlet",
        "Differences between groups",
        "Evidence passages",
        "Frames in whole articles",
        "Provenance",
    ):
        assert text in page and text in markdown, text
    methods = re.search(r'<h2 id="methods">Methods</h2>\s*<p>(.*?)</p>', page, re.S).group(1)
    for fact in (
        "lexicon method",
        "framing-stance version 1",
        f"sha256 {'ab' * 6}",
        "targets version 1",
        f"seed {SEED}",
        "31 articles were read",
        "200 resamples",
        "permutation test",
        "199 permutations",
        "Benjamini-Hochberg",
    ):
        assert fact in methods, fact
    # Each method is cited in the text and listed in full under References, once each.
    for cited in ("(Efron &amp; Tibshirani 1993)", "(Benjamini &amp; Hochberg 1995)",
                  "(Monroe, Colaresi &amp; Quinn 2008)", "(Cliff 1993)"):
        assert cited in methods, cited
    references = page[page.index('id="references"'):page.index('id="target-1"')]
    assert references.count("Political Analysis, 16(4)") == 1
    assert "Mann, H. B." not in references  # not cited: this run used the permutation test
    assert "2099" not in page and "2099" not in markdown  # manifest timings are never shown
    # A note, not a crash, for the table this run does not have.
    assert "No same_event.parquet in this run folder (no event column" in page
    assert page.count('<table class="sortable">') >= 10
    assert "| pair | n a | n b |" in markdown


def test_report_embeds_figures_and_loads_nothing_remote(page, markdown):
    assert page.count('src="data:image/svg+xml;base64,') >= 10
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert "![Mean stance per outlet and target" in markdown
    assert "(figures/stance-by-outlet-heatmap.svg)" in markdown


def test_csp_allows_exactly_the_inline_style_and_script(page):
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)

    def digest(text: str) -> str:
        return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    assert f"style-src 'sha256-{digest(style)}'" in csp
    assert f"script-src 'sha256-{digest(script)}'" in csp
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert page.count("<script>") == 1 and page.count("<style>") == 1
    assert ' style="' not in page and " onclick=" not in page  # CSP would block them


def test_highlighting_marks_exactly_the_terms(page, markdown):
    marked = re.findall(r"<mark class=\"(\w+)\" title=\"[^\"]*\">([^<]*)</mark>", page)
    assert marked and {text for _, text in marked} == {"bullying", "partnership"}
    assert {cls for cls, text in marked if text == "bullying"} == {"neg"}
    assert {cls for cls, text in marked if text == "partnership"} == {"pos"}
    assert "was accused of <mark" in page
    assert "**bullying**" in markdown and "**partnership**" in markdown


def test_planted_markup_appears_only_escaped(page, markdown):
    for payload in (SCRIPT_PAYLOAD, IMG_PAYLOAD, DOM_SCRIPT, DOM_IMG, "<Times>"):
        assert payload not in page and payload not in markdown
    assert html.escape(SCRIPT_PAYLOAD) in page
    assert html.escape(IMG_PAYLOAD) in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markdown
    tags = _parse(page)
    assert [t for t, _ in tags.tags].count("script") == 1
    assert not [a for t, a in tags.tags if t == "img" and not a.get("src", "").startswith("data:")]
    assert tags.title == TITLE


def test_rerun_is_byte_identical(run_dir, tmp_path):
    before = {
        name: (run_dir / name).read_bytes() for name in (REPORT_HTML, REPORT_MD)
    }
    build_report(run_dir)
    again = tmp_path / "again"
    make_run(again)
    build_report(again)
    for name, content in before.items():
        assert (run_dir / name).read_bytes() == content, name
        assert (again / name).read_bytes() == content, name


def test_missing_tables_are_left_out_with_a_note(run_dir, tmp_path):
    partial = tmp_path / "partial"
    partial.mkdir()
    shutil.copy(run_dir / "outlet_table.parquet", partial)
    out = build_report(partial, title="Only <means>")
    page = out["html"].read_text(encoding="utf-8")
    assert "<title>Only &lt;means&gt;</title>" in page
    assert "No contrasts.parquet in this run folder" in page
    assert "No scores.parquet in this run folder" in page
    assert "No manifest.json in this run folder" in page
    assert "Daily Planet" in page


def test_png_figures_embed_and_unknown_figures_are_kept(run_dir, tmp_path):
    folder = tmp_path / "png"
    folder.mkdir()
    shutil.copy(run_dir / "outlet_table.parquet", folder)
    table = runs.read_table(folder / "outlet_table.parquet")
    ax = plots.heatmap_outlet_target(table)
    plots.save_figure(ax, folder / "figures" / "my-own-figure", ("png",))
    page = build_report(folder)["html"].read_text(encoding="utf-8")
    assert 'src="data:image/png;base64,' in page
    assert "Other figures" in page and "my-own-figure" in page


def test_build_report_refuses_an_empty_or_missing_folder(tmp_path):
    with pytest.raises(DataError, match="nothing to report"):
        build_report(tmp_path)
    with pytest.raises(DataError, match="run folder not found"):
        build_report(tmp_path / "nope")


def test_build_report_names_a_table_that_lacks_columns(tmp_path):
    runs.write_table(
        pd.DataFrame({"outlet": ["A"], "target": ["US"]}), tmp_path / "outlet_table.parquet"
    )
    with pytest.raises(DataError, match=r"outlet_table.parquet lacks column\(s\) n_articles"):
        build_report(tmp_path)


# ------------------------------------------------------------------------------------------
# small pieces


def test_highlight_html_escapes_between_and_inside_spans():
    sentence = "<b>&threat</b> and not-a-threat"
    terms = [
        {"term": "threat", "category": "conflict", "polarity": -1, "start": 4, "end": 10},
        {"term": "bad", "category": "x", "polarity": 1, "start": 40, "end": 45},
    ]  # out of range
    out = highlight_html(sentence, terms)
    assert out == (
        '&lt;b&gt;&amp;<mark class="neg" title="threat (conflict, polarity -1)">'
        "threat</mark>&lt;/b&gt; and not-a-threat"
    )


def test_highlight_merges_overlapping_spans():
    sentence = "trade war escalates"
    terms = [
        {"term": "trade war", "category": "conflict", "polarity": -1, "start": 0, "end": 9},
        {"term": "war", "category": "conflict", "polarity": -1, "start": 6, "end": 9},
        {"term": "escalates", "category": "conflict", "polarity": 0, "start": 10, "end": 19},
    ]
    out = highlight_html(sentence, terms)
    assert re.findall(r"<mark[^>]*>([^<]*)</mark>", out) == ["trade war", "escalates"]
    assert 'class="neu"' in out and "war (conflict" in out
    assert highlight_markdown("a *b* war", [{"start": 6, "end": 9}]) == "a \\*b\\* **war**"


def test_markdown_keeps_a_plain_ampersand_and_neutralises_entities_and_tags():
    """"Chapman & Hall" stays readable in the .md file; "&copy;" and "<b>" from the data show as
    written once rendered (entity start and angle brackets escaped)."""
    out = highlight_markdown("Chapman & Hall, &copy; <b>AT&T</b> war", [{"start": 35, "end": 38}])
    assert out == "Chapman & Hall, &amp;copy; &lt;b&gt;AT&T&lt;/b&gt; **war**"


def test_evidence_passages_ranks_by_contribution_and_drops_wire_copies():
    item = lambda text, score: {"sent_id": 1, "sentence": text, "score": score, "terms": []}  # noqa: E731
    scores = pd.DataFrame(
        {
            "article_id": ["a1", "a2", "a3"],
            "outlet": ["X", "X", "X"],
            "target": ["US"] * 3,
            "score": [0.2, -0.5, 0.1],
            "label": ["favor", "against", "neutral"],
            "evidence": [
                [item("small", 0.2), item("same", 1.0)],
                [item("big", -3.0)],
                [item("same", 1.0)],
            ],
        }
    )
    table = evidence_passages(scores, n=3)
    assert table["sentence"].tolist() == ["big", "same", "small"]
    assert table["article_id"].tolist() == ["a2", "a1", "a1"]
    assert table["rank"].tolist() == [1, 2, 3]
    assert evidence_passages(scores, n=1)["sentence"].tolist() == ["big"]


def test_figure_stem_names_by_content():
    assert (
        report_tables.figure_stem("heatmap", by=("outlet", "period")) == "stance-by-outlet-period-heatmap"
    )
    assert report_tables.figure_stem("interval", target="中国").startswith("stance-interval-x")
    with pytest.raises(Exception, match="accepted"):
        report_tables.figure_stem("pie")


# ------------------------------------------------------------------------------------------
# a real browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(CHROMIUM),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def test_report_renders_in_headless_chromium(run_dir, tmp_path):
    if not CHROMIUM.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing and CI is set: install Debian's chromium")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium); CI is not set")
    url = (run_dir / REPORT_HTML).as_uri()
    shot = tmp_path / "shot.png"
    shown = _chromium([f"--screenshot={shot}", "--window-size=1280,2000", url], tmp_path / "p1")
    dumped = _chromium(["--dump-dom", url], tmp_path / "p2")
    assert dumped.returncode == 0, dumped.stderr[-2000:]

    assert shot.is_file() and shot.stat().st_size > 20_000, shown.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    dom = dumped.stdout
    tags = _parse(dom)
    assert tags.title == TITLE  # the planted script would have set it to PWNED
    assert "PWNED" not in tags.title
    assert not [a for _, a in tags.tags if "data-pwned" in a]
    assert not [a for t, a in tags.tags if t == "img" and not a.get("src", "").startswith("data:")]
    assert [t for t, _ in tags.tags].count("table") >= 10
    # Our own script ran (CSP hash accepted): it made every header focusable.
    assert sum(1 for t, a in tags.tags if t == "th" and a.get("tabindex") == "0") >= 20

    console = [line for line in (shown.stderr + dumped.stderr).splitlines() if "CONSOLE" in line]
    bad = [line for line in console if re.search(r"Uncaught|Error|Refused|violat", line, re.I)]
    assert not bad, bad


def test_methods_cite_the_model_its_encoder_and_its_training_data():
    from framing.report.references import Citations, model_sentence

    cite = Citations()
    text = model_sentence({"name": "state-hybrid", "base_model": "newsmtsc-hybrid",
                           "train": ["newsmtsc:train", "state:train", "newsmtsc:dev"]}, cite)
    assert text.startswith("The model state-hybrid fine-tunes all-MiniLM-L6-v2 (Wang et al. 2020")
    assert "going on from newsmtsc-hybrid" in text
    assert text.count("Hamborg & Donnay 2021") == 1 and "codebook-state-v1" in text
    assert cite.keys == ["minilm", "sbert", "newsmtsc", "allsides"]
    weak = model_sentence({"name": "demo", "train": ["weak_labels.csv"],
                           "label_source": ["weak:framing-stance-v1@93ee"]}, Citations())
    assert "weak labels of the lexicon" in weak
    assert model_sentence(None, Citations()) == ""


def test_figure_titles_put_each_caption_on_its_figure(tmp_path):
    tables = synthetic_tables()
    kwargs = dict(random_state=SEED, n_boot=50, n_perm=49, min_n=5, formats=("svg",))
    report_tables.write_comparison(tables["scores"], tmp_path / "plain", **kwargs)
    report_tables.write_comparison(tables["scores"], tmp_path / "titled", figure_titles=True, **kwargs)
    record = json.loads((tmp_path / "titled" / report_tables.COMPARISON_FILE).read_text())
    assert record["settings"]["figure_titles"] is True
    interval = next(f for f in record["figures"] if f["kind"] == "interval")
    svg = (tmp_path / "titled" / "figures" / f"{interval['stem']}.svg").read_text()
    plain = (tmp_path / "plain" / "figures" / f"{interval['stem']}.svg").read_text()
    assert svg != plain  # the title is drawn (as paths: svg.fonttype is "path")


def test_report_figure_titles_is_a_checked_config_key(tmp_path):
    from framing.runs.config import load_config

    base = 'seed = 1\n[corpus]\ninputs = ["a.csv"]\n[report]\n'
    (tmp_path / "a.csv").write_text("text\nx\n")
    (tmp_path / "ok.toml").write_text(base + "figure_titles = true\n")
    assert load_config(tmp_path / "ok.toml").report.figure_titles is True
    (tmp_path / "bad.toml").write_text(base + "figure_titles = 1\n")
    with pytest.raises(ConfigError, match="report.figure_titles .*expected true or false"):
        load_config(tmp_path / "bad.toml")


def test_over_time_caption_counts_the_articles_without_a_usable_date(tmp_path):
    tables = synthetic_tables()
    articles = tables["articles"].copy()
    days = pd.date_range("2024-01-01", periods=len(articles), freq="3D").strftime("%Y-%m-%d")
    articles["published"] = pd.array(list(days), dtype="str")
    articles.loc[articles.index[:4], "published"] = pd.NA  # e.g. dated 0001-11-30: left empty
    report_tables.write_comparison(tables["scores"], tmp_path, articles=articles, random_state=SEED,
                                   n_boot=50, n_perm=49, min_n=5, formats=("svg",))
    record = json.loads((tmp_path / report_tables.COMPARISON_FILE).read_text())
    captions = [f["caption"] for f in record["figures"] if f["kind"] == "over_time"]
    assert captions and all("4 scored articles without a usable publication date" in c for c in captions)
