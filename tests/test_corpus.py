"""Tests for framing.corpus: every reader, bad input, ids, duplicates, statuses (tiny data we write)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from framing.corpus import finish
from framing.corpus import loading as corpus
from framing.infra import schema
from framing.infra.errors import ConfigError, DataError

HARBOUR = (
    "The harbour board approved a plan on Monday to dredge the northern channel before winter.\n\n"
    "Board members said the work would let larger grain ships dock without waiting for the tide, "
    "and that the cost would be shared with the regional government."
)
BRIDGE = (
    "Engineers closed the old river bridge on Tuesday after finding cracks in two of its supports.\n\n"
    "Traffic was sent over the ring road, and the city said repairs could take several months."
)
# Sentences for the duplicate tests: two near copies of one story and an unrelated story.
STORY = [
    "The water authority said on Thursday that the reservoir had reached its lowest level in decades.",
    "Farmers in the valley have been asked to cut their use of irrigation water by a third.",
    "Officials blamed a dry spring and an unusually hot summer for the shortage.",
    "The authority plans to open two emergency wells near the eastern villages next month.",
    "Residents were told to water gardens only in the evening and to report leaking pipes.",
    "A spokesperson said the measures would stay in place until the autumn rains arrive.",
    "Local businesses that depend on tourism said they feared visitors would stay away.",
    "The regional council will meet next week to discuss support for the hardest hit farms.",
    "Scientists at the university warned that such droughts may become more common.",
    "They urged the authority to invest in storage tanks and in repairing old canals.",
    "Opposition members criticised the government for ignoring earlier warnings.",
    "The minister for agriculture is expected to visit the region on Saturday.",
]
OTHER_STORY = [
    "A new bakery opened on the market square on Friday morning to a long queue of customers.",
    "The owners, two sisters who trained in the capital, bake bread in a wood-fired oven.",
    "They said they chose the town because of its busy weekly market and friendly neighbours.",
    "The bakery will employ six people and plans to supply the local school with rolls.",
    "On the first day the shop sold out of its rye loaves before noon.",
    "The mayor cut a ribbon and praised the sisters for bringing new life to the square.",
]


def write(path: Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding=encoding)
    return path


def by_name(articles: pd.DataFrame) -> dict[str, pd.Series]:
    """Rows keyed by file name (the last part of ``source``)."""
    return {
        Path(source.split("#")[0]).name: row
        for source, (_, row) in zip(articles.source, articles.iterrows(), strict=True)
    }


def check_table(articles: pd.DataFrame) -> None:
    """Invariants of every article table."""
    assert list(articles.columns[: len(schema.ARTICLE_COLUMNS)]) == list(schema.ARTICLE_COLUMNS)
    assert set(articles.status) <= set(schema.STATUSES)
    assert articles.article_id.is_unique
    assert not articles.article_id.isna().any()
    not_ok = articles.status != "ok"
    assert (articles.loc[not_ok, "reason"].str.len() > 0).all(), "every non-ok row says why"
    assert articles.language_score.between(0, 1).all()


# ---------------------------------------------------------------------------------------------
# Readers


def test_txt_folder_with_sidecar(tmp_path):
    write(tmp_path / "a.txt", HARBOUR)
    write(tmp_path / "b.txt", BRIDGE)
    write(
        tmp_path / "metadata.csv",
        "file,article_id,outlet,published,title,desk\n"
        "a.txt,h-001,Harbour Herald,5 March 2024,Channel to be dredged,ports\n",
    )
    articles = corpus.load(tmp_path)
    check_table(articles)
    assert len(articles) == 2  # the sidecar is not read as an article
    rows = by_name(articles)
    a, b = rows["a.txt"], rows["b.txt"]
    assert (a.article_id, a.outlet, a.published, a.title) == (
        "h-001",
        "Harbour Herald",
        "2024-03-05",
        "Channel to be dredged",
    )
    assert a.published_raw == "5 March 2024"
    assert a.desk == "ports"  # extra sidecar columns are kept
    assert b.outlet == "unknown" and pd.isna(b.published)
    assert "dredge the northern channel" in a.text
    assert a.status == "ok" and a.language == "en"


def test_metadata_argument_wins_over_stated_header(tmp_path):
    folder = tmp_path / "texts"
    header = "World | Asia\nFloods close schools across the northern provinces\nExample Post | Updated: 2024-03-01\n"
    write(
        folder / "floods.txt",
        header + "Heavy rain closed more than two hundred schools on Friday.\n",
    )
    stated = corpus.load(folder).iloc[0]
    assert (stated.outlet, stated.published, stated.title) == (
        "Example Post",
        "2024-03-01",
        "Floods close schools across the northern provinces",
    )
    assert stated.text.startswith("Heavy rain closed")
    sidecar = write(
        tmp_path / "meta.jsonl", json.dumps({"name": "floods.txt", "outlet": "Other Post"}) + "\n"
    )
    overridden = corpus.load(folder, metadata=sidecar).iloc[0]
    assert overridden.outlet == "Other Post"
    assert (
        overridden.published == "2024-03-01"
    )  # what the sidecar leaves out still comes from the file


def test_csv_with_quoted_newline_and_auto_columns(tmp_path):
    path = write(
        tmp_path / "news.csv",
        "ID,Headline,Body,Publisher,Date,topic\n"
        f'1,Harbour plan,"{HARBOUR}",Harbour Herald,2024-03-05,ports\n'
        f'2,Bridge closed,"{BRIDGE}",City Times,7/23/17,roads\n',
    )
    articles = corpus.load(path)
    check_table(articles)
    assert len(articles) == 2
    assert articles.article_id.tolist() == ["1", "2"]
    assert articles.outlet.tolist() == ["Harbour Herald", "City Times"]
    assert articles.published.tolist() == ["2024-03-05", "2017-07-23"]
    assert articles.source.tolist() == [f"{path}#row=1", f"{path}#row=2"]
    assert (
        "dredge the northern channel" in articles.text[0]
        and "regional government" in articles.text[0]
    )
    assert articles.topic.tolist() == ["ports", "roads"]  # extra columns kept
    assert not {"ID", "Headline", "Body", "Publisher", "Date"} & set(
        articles.columns
    )  # mapped: dropped


def test_jsonl_broken_line_becomes_a_row(tmp_path):
    lines = [
        json.dumps({"id": 10, "title": "Harbour plan", "text": HARBOUR}),
        '{"id": 11, "title": "Broken", "text": "no closing brace"',
        "",
        json.dumps(
            {"id": 12, "title": "Bridge closed", "text": BRIDGE, "published_at": "2019-02-12"}
        ),
    ]
    path = write(tmp_path / "news.jsonl", "\n".join(lines) + "\n")
    articles = corpus.load(path)
    check_table(articles)
    assert articles.status.tolist() == ["ok", "unreadable", "ok"]
    assert "line 2" in articles.reason[1]
    assert articles.source.tolist() == [f"{path}#line=1", f"{path}#line=2", f"{path}#line=4"]
    assert articles.article_id.tolist()[::2] == ["10", "12"]
    assert articles.published[2] == "2019-02-12"


def test_parquet_with_column_map(tmp_path):
    table = pd.DataFrame(
        {
            "ID": ["x1", "x2"],
            "source": ["Left Daily ", "Right Weekly"],
            "title": ["Harbour plan", "Bridge closed"],
            "content_original": [HARBOUR, BRIDGE],
            "date": ["2020-01-02", ""],
            "bias_text": ["left", "right"],
        }
    )
    path = tmp_path / "articles.parquet"
    table.to_parquet(path)
    articles = corpus.load(
        path, column_map={"outlet": "source", "text": "content_original", "article_id": "ID"}
    )
    check_table(articles)
    assert articles.article_id.tolist() == ["x1", "x2"]
    assert articles.outlet.tolist() == ["Left Daily", "Right Weekly"]  # stray spaces trimmed
    assert articles.published[0] == "2020-01-02" and pd.isna(articles.published[1])
    assert articles.bias_text.tolist() == ["left", "right"]
    assert "content_original" not in articles.columns
    assert articles.source[1] == f"{path}#row=2"


def test_html_main_text_without_script_or_iframe(tmp_path):
    paragraphs = "".join(f"<p>{sentence}</p>" for sentence in STORY)
    html = (
        "<!DOCTYPE html><html><head><title>Reservoir at record low | Valley Courier</title>"
        '<meta property="og:site_name" content="Valley Courier">'
        '<meta property="article:published_time" content="2023-08-10T09:00:00Z">'
        '<script>var secret = "SCRIPTCONTENT";</script></head><body>'
        "<nav>Home | News | Sport</nav><article><h1>Reservoir at record low</h1>"
        f'{paragraphs}<iframe src="https://ads.invalid/">IFRAMECONTENT</iframe>'
        "<script>document.write('SCRIPTTWO')</script></article>"
        "<footer>All rights reserved</footer></body></html>"
    )
    path = write(tmp_path / "page.html", html)
    article = corpus.load(path).iloc[0]
    assert article.status == "ok"
    assert article.outlet == "Valley Courier"
    assert article.title == "Reservoir at record low"
    assert article.published == "2023-08-10"
    assert "lowest level in decades" in article.text
    for leaked in ("SCRIPTCONTENT", "SCRIPTTWO", "IFRAMECONTENT", "document.write"):
        assert leaked not in article.text


# ---------------------------------------------------------------------------------------------
# Bad input


def test_bad_files_each_get_a_status_and_none_is_lost(tmp_path):
    write(tmp_path / "good.txt", HARBOUR)
    write(tmp_path / "blob.txt", b"\x00\x01\x02binary\x00payload" * 20)
    write(tmp_path / "image.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    write(
        tmp_path / "latin1.txt",
        "Our café on the quay reopened on Monday after the storm.",
        encoding="latin-1",
    )
    write(
        tmp_path / "cp1252.txt",
        "The minister said \u201cwe will not back down\u201d and left \u2014 it\u2019s over.",
        encoding="cp1252",
    )
    write(
        tmp_path / "utf16.txt", "The ferry to the island runs again from Monday.", encoding="utf-16"
    )
    write(tmp_path / "empty.txt", b"")
    write(tmp_path / "blank.txt", "  \n\t \n")
    articles = corpus.load(tmp_path)
    check_table(articles)
    assert len(articles) == 8  # one row per file, whatever happened
    rows = by_name(articles)
    assert rows["good.txt"].status == "ok"
    for name in ("blob.txt", "image.txt"):
        assert (rows[name].status, rows[name].reason) == ("unreadable", "binary file")
    assert "café" in rows["latin1.txt"].text
    assert "cp1252" in rows["latin1.txt"].reason  # a guessed encoding is noted
    quoted = rows["cp1252.txt"].text
    assert "we will not back down" in quoted
    assert not any(mojibake in quoted for mojibake in ("â€", "Ã", "ô", "ö"))
    assert "\u201c" in quoted or '"' in quoted
    assert rows["utf16.txt"].status == "ok" and rows["utf16.txt"].text.startswith("The ferry")
    assert rows["utf16.txt"].reason == ""  # a byte-order mark is not a guess
    assert rows["empty.txt"].status == "empty" and rows["blank.txt"].status == "empty"
    summary = corpus.summarise(articles)
    assert summary["n_articles"] == 8
    assert sum(summary["by_status"].values()) == 8
    assert summary["by_status"]["unreadable"] == 2 and summary["by_status"]["empty"] == 2


def test_csv_without_text_column_names_the_columns(tmp_path):
    # body_html may hold the body under a name not recognised: an error, not a table of headlines
    path = write(tmp_path / "no_text.csv", "id,headline,publisher,body_html\n1,Harbour plan,Herald,x\n")
    with pytest.raises(DataError) as error:
        corpus.load(path)
    message = str(error.value)
    assert "no_text.csv" in message and "headline, publisher, body_html" in message
    assert "--map text=" in message and "headlines only" in message


def test_mapped_column_missing_and_unknown_map_key(tmp_path):
    path = write(tmp_path / "news.csv", "id,body\n1,Some text here.\n")
    with pytest.raises(DataError, match=r"'content_original' \(mapped to text\).*id, body"):
        corpus.load(path, column_map={"text": "content_original"})
    with pytest.raises(
        ConfigError, match="accepted keys: article_id, outlet, published, title, text, language"
    ):
        corpus.load(path, column_map={"body_text": "body"})


def test_unknown_format_lists_the_accepted_ones(tmp_path):
    path = write(tmp_path / "notes.docx", HARBOUR)
    with pytest.raises(ConfigError, match=r"txt \(\.txt\).*html"):
        corpus.load(path)
    with pytest.raises(ConfigError, match="accepted"):
        corpus.load(path, fmt="word")
    assert corpus.load(path, fmt="txt").status[0] == "ok"  # fmt overrides the ending


def test_malformed_csv_record_and_json_array(tmp_path):
    csv_path = write(
        tmp_path / "ragged.csv",
        f'id,text\n1,"{HARBOUR}"\n2,"{BRIDGE}",stray,fields\n3,"Rain is forecast for the weekend."\n',
    )
    ragged = corpus.load(csv_path)
    assert ragged.status.tolist() == ["ok", "unreadable", "ok"]
    assert "record 2" in ragged.reason[1] and "4 fields" in ragged.reason[1]
    json_path = write(tmp_path / "list.json", json.dumps([{"id": 1, "content": HARBOUR}, 42]))
    listed = corpus.load(json_path)
    assert listed.status.tolist() == ["ok", "unreadable"]
    assert listed.source.tolist() == [f"{json_path}#row=1", f"{json_path}#row=2"]


def test_bad_options_are_clear_errors(tmp_path):
    path = write(tmp_path / "a.txt", HARBOUR)
    for options in ({"near_duplicates": 1.5}, {"n_jobs": 0}, {"max_chars": 0}):
        with pytest.raises(ConfigError, match="received"):
            corpus.load(path, **options)


def test_missing_input_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="input not found"):
        corpus.load(tmp_path / "nowhere")


# ---------------------------------------------------------------------------------------------
# Ids and duplicates


def test_duplicate_given_ids_get_a_suffix_and_a_reason(tmp_path):
    path = write(
        tmp_path / "news.csv",
        f'id,text\n7,"{HARBOUR}"\n7,"{BRIDGE}"\n8,"A third story about the weather turning cold."\n',
    )
    articles = corpus.load(path)
    check_table(articles)
    assert articles.article_id.tolist() == ["7", "7~2", "8"]
    assert "renamed '7~2'" in articles.reason[1]


def test_content_hash_ids_are_stable(tmp_path):
    write(tmp_path / "one" / "story.txt", HARBOUR)
    write(tmp_path / "two" / "copy.txt", HARBOUR)
    first = corpus.load(tmp_path / "one").article_id[0]
    assert first == corpus.load(tmp_path / "one").article_id[0]
    assert first == corpus.load(tmp_path / "two").article_id[0]  # content, not file name or path
    assert len(first) == 16 and int(first, 16) >= 0


def test_exact_and_near_duplicates_are_flagged_not_dropped(tmp_path):
    story = " ".join(STORY)
    near = " ".join(
        STORY[:5]
        + ["Rangers closed the lake to swimmers and boats for the rest of the season."]
        + STORY[6:]
    )
    shouted = "  ".join(STORY).upper()  # same words, other case and spacing: an exact duplicate
    other = " ".join(OTHER_STORY)
    records = [
        {"id": "a", "text": story},
        {"id": "b", "text": other},
        {"id": "c", "text": near},
        {"id": "d", "text": shouted},
    ]
    path = write(tmp_path / "news.jsonl", "\n".join(json.dumps(r) for r in records))
    articles = corpus.load(path).set_index("article_id")
    assert len(articles) == 4
    assert articles.duplicate_of.fillna("-").to_dict() == {"a": "-", "b": "-", "c": "-", "d": "a"}
    assert articles.near_duplicate_of.fillna("-").to_dict() == {
        "a": "-",
        "b": "-",
        "c": "a",
        "d": "-",
    }
    off = corpus.load(path, near_duplicates=False)
    assert off.near_duplicate_of.isna().all() and off.duplicate_of.notna().sum() == 1


# ---------------------------------------------------------------------------------------------
# After reading: languages, size, dates, parallel runs


def test_language_column_wins_and_unsupported_languages_are_marked(tmp_path):
    path = write(
        tmp_path / "news.csv",
        f'id,text,language\n1,"{HARBOUR}",\n2,"{BRIDGE}",NL\n',
    )
    articles = corpus.load(path)
    assert articles.language.tolist() == ["en", "nl"]
    assert articles.language_score[1] == 1.0
    dutch_only = corpus.load(path, supported_languages=("nl",))
    assert dutch_only.status.tolist() == ["unsupported_language", "ok"]
    assert "'en'" in dutch_only.reason[0]


def test_too_large_text_is_truncated_at_a_boundary(tmp_path):
    text = "\n\n".join(" ".join(STORY[i : i + 3]) for i in range(0, 12, 3))
    path = write(tmp_path / "long.txt", text)
    article = corpus.load(path, max_chars=600).iloc[0]
    assert article.status == "too_large"
    assert len(article.text) <= 600
    assert article.text.endswith(".")  # cut at a paragraph or sentence end, not mid-word
    assert f"{len(corpus.load(path).text[0]):,} characters" in article.reason


def test_dates_are_normalised_or_kept_raw(tmp_path):
    dates = ["2024-03-05T23:30:00-05:00", "March 5, 2024", "2019", "last Tuesday", ""]
    body = "\n".join(
        f'{i},"{d}","Story number {i} about the harbour and the tide."' for i, d in enumerate(dates)
    )
    articles = corpus.load(write(tmp_path / "dates.csv", "id,date,text\n" + body + "\n"))
    assert articles.published.fillna("-").tolist() == ["2024-03-05", "2024-03-05", "-", "-", "-"]
    assert articles.published_raw.fillna("-").tolist() == dates[:4] + ["-"]


def test_parallel_run_gives_the_same_table(tmp_path, monkeypatch):
    lines = [
        json.dumps({"id": i, "text": f"{STORY[i % 12]} {OTHER_STORY[i % 6]}"}) for i in range(10)
    ]
    path = write(tmp_path / "news.jsonl", "\n".join(lines))
    monkeypatch.setattr(finish, "CHUNK_SIZE", 3)  # several chunks, so the pool is used
    serial = corpus.load(path)
    parallel = corpus.load(path, n_jobs=2)
    pd.testing.assert_frame_equal(serial, parallel)


def test_summarise_counts_every_status(tmp_path):
    write(tmp_path / "a.txt", HARBOUR)
    write(tmp_path / "b.txt", b"")
    summary = corpus.summarise(corpus.load(tmp_path))
    assert set(schema.STATUSES) <= set(summary["by_status"])
    assert summary["by_status"]["ok"] == 1 and summary["by_status"]["empty"] == 1
    assert summary["n_processed"] == 1
    assert summary["by_outlet"] == {"unknown": 2}
    json.dumps(summary)  # plain types, ready for a manifest


# ---------------------------------------------------------------------------------------------
# Real data


def test_seeds(seeds_dir):
    articles = corpus.load(seeds_dir)
    check_table(articles)
    assert len(articles) == 3
    assert articles.outlet[0] == "China Daily"
    assert articles.language.tolist() == ["en", "en", "nl"]


@pytest.mark.slow
def test_full_corpora(data_dir):
    path = data_dir / "data" / "allsides_baly2020" / "articles.parquet"
    column_map = {"outlet": "source", "text": "content_original", "article_id": "ID"}
    allsides = corpus.load(path, column_map=column_map, n_jobs=2)  # the process pool on real data
    check_table(allsides)
    expected = pd.read_parquet(path, columns=["ID", "source"])
    assert len(allsides) == 37_554
    assert allsides.article_id.tolist() == expected.ID.tolist()
    assert allsides.outlet.tolist() == expected.source.str.strip().tolist()
    dpg = corpus.load(data_dir / "data" / "dpgmedia2019" / "dpgMedia2019-articles-byarticle.jsonl")
    check_table(dpg)
    assert len(dpg) == 766
    assert (dpg.language == "nl").mean() >= 0.99
