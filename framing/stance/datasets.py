"""Loaders for labelled stance data: NewsMTSC, and any CSV/JSONL of (sentence, target, label).

Every loader returns the same table, the input of ``StanceClassifier.fit``:

========== ================================================================================
column     meaning
========== ================================================================================
sentence   str: the sentence
target     str: what the stance is about, as shown to the model (NewsMTSC: the mention text)
span_start Int64: first char of the mention in ``sentence`` (<NA> when unknown)
span_end   Int64: one past its last char (<NA> when unknown)
label      str: one of ``STANCE_LABELS`` ("against", "neutral", "favor")
id         str: the row's id in its source (or ``<file name>#<line>`` when it has none)
========== ================================================================================

NewsMTSC (Hamborg & Donnay, EACL 2021) codes target-dependent *sentiment* as polarity -1/0/1; we
read it as stance -1 -> against, 0 -> neutral, 1 -> favor (``POLARITY_TO_LABEL``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from framing.infra import paths, tableio
from framing.infra.errors import ConfigError, DataError
from framing.stance.evaluation import STANCE_LABELS

#: Columns of the labelled table, in order.
LABELLED_COLUMNS: tuple[str, ...] = ("sentence", "target", "span_start", "span_end", "label", "id")

#: NewsMTSC polarity (``*-hf`` files) -> stance label.
POLARITY_TO_LABEL: dict[int, str] = {-1: "against", 0: "neutral", 1: "favor"}

#: NewsMTSC splits used in the paper (Table 2) -> file under ``data/newsmtsc/paper_splits/``.
NEWSMTSC_SPLITS: dict[str, str] = {
    "train": "train_hf.jsonl",
    "dev-rw": "newsmtsc-rw-hf/dev.jsonl",
    "test-rw": "newsmtsc-rw-hf/test.jsonl",
    "dev-mt": "newsmtsc-mt-hf/dev.jsonl",
    "test-mt": "newsmtsc-mt-hf/test.jsonl",
}

_NEWSMTSC_FIELDS = ("mention", "polarity", "from", "to", "sentence", "id")


def newsmtsc_path(split: str, *, data_dir: str | Path | None = None) -> Path:
    """Return the file of a NewsMTSC split (see ``NEWSMTSC_SPLITS``), without reading it."""
    if split not in NEWSMTSC_SPLITS:
        raise ConfigError(f"unknown NewsMTSC split {split!r}; accepted: {list(NEWSMTSC_SPLITS)}")
    root = Path(data_dir) if data_dir is not None else paths.data_dir()
    return root / "data" / "newsmtsc" / "paper_splits" / NEWSMTSC_SPLITS[split]


def load_newsmtsc(split: str, *, data_dir: str | Path | None = None) -> pd.DataFrame:
    """Load one NewsMTSC split as a labelled table (one row per sentence-target pair).

    Parameters
    ----------
    split : {"train", "dev-rw", "test-rw", "dev-mt", "test-mt"}
        ``rw``: real-world target distribution; ``mt``: sentences with several targets.
    data_dir : path, optional
        The shared data folder; default ``framing.runs.paths.data_dir()``. The files are read from
        ``<data_dir>/data/newsmtsc/paper_splits/``.

    Returns
    -------
    DataFrame
        Columns ``LABELLED_COLUMNS``, in file order.

    Raises
    ------
    DataError
        When the file is missing, a line is not JSON, a field is missing, a polarity is not
        -1/0/1, or the span does not cover the mention; the message names the file and line.
    """
    path = newsmtsc_path(split, data_dir=data_dir)
    if not path.is_file():
        raise DataError(
            f"NewsMTSC split {split!r} not found: expected the file {path} "
            f"(set {paths.DATA_ENV} or pass data_dir to the folder holding data/newsmtsc)"
        )
    rows = []
    for line_no, record in _read_jsonl(path):
        missing = [f for f in _NEWSMTSC_FIELDS if f not in record]
        if missing:
            raise DataError(f"{path}, line {line_no}: missing fields {missing}")
        polarity = record["polarity"]
        if polarity not in POLARITY_TO_LABEL:
            raise DataError(
                f"{path}, line {line_no}: polarity {polarity!r}; accepted: {list(POLARITY_TO_LABEL)}"
            )
        start, end, sentence = record["from"], record["to"], record["sentence"]
        if sentence[start:end] != record["mention"]:
            raise DataError(
                f"{path}, line {line_no}: chars {start}:{end} of the sentence are "
                f"{sentence[start:end]!r}, not the mention {record['mention']!r}"
            )
        rows.append(
            (
                sentence,
                record["mention"],
                start,
                end,
                POLARITY_TO_LABEL[polarity],
                str(record["id"]),
            )
        )
    return _table(rows)


def load_labelled(path: str | Path, *, column_map: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Load any labelled CSV or JSONL file (columns sentence, target, label) as a labelled table.

    Parameters
    ----------
    path : path
        A ``.csv`` file with a header row, or a ``.jsonl`` / ``.ndjson`` file with one JSON object
        per line.
    column_map : mapping, optional
        Our column name -> the file's column name, e.g. ``{"sentence": "text", "label": "stance"}``.
        Required: ``sentence``, ``target``, ``label``; optional: ``span_start``, ``span_end``, ``id``.

    Returns
    -------
    DataFrame
        Columns ``LABELLED_COLUMNS``, in file order. Labels are one of ``STANCE_LABELS``
        (case and surrounding spaces ignored); NewsMTSC-style polarities -1/0/1 are accepted too.

    Raises
    ------
    DataError
        Missing file or columns, an empty sentence or target, an unknown label, or a span outside
        the sentence; the message names the file and the row (CSV: data row and line number).
    """
    path = Path(path)
    column_map = dict(column_map or {})
    unknown = sorted(set(column_map) - set(LABELLED_COLUMNS))
    if unknown:
        raise ConfigError(
            f"column_map has unknown keys {unknown}; accepted: {list(LABELLED_COLUMNS)}"
        )
    if not path.is_file():
        raise DataError(f"labelled data file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            raw = tableio.read_csv(path, dtype=str, keep_default_na=False)
        except Exception as err:  # pandas raises several parser errors; name the file
            raise DataError(f"cannot read CSV {path}: {err}") from err
        # Data row i (0-based) sits on line i + 2: the header is line 1.
        where = [f"row {i + 1} (line {i + 2})" for i in range(len(raw))]
        default_ids = [f"{path.name}#row={i + 1}" for i in range(len(raw))]
    elif suffix in (".jsonl", ".ndjson"):
        lines = list(_read_jsonl(path))
        raw = pd.DataFrame([record for _, record in lines])
        where = [f"line {line_no}" for line_no, _ in lines]
        default_ids = [f"{path.name}#line={line_no}" for line_no, _ in lines]
    else:
        raise DataError(
            f"{path}: unsupported file type {suffix!r}; accepted: .csv, .jsonl, .ndjson"
        )

    source = {col: column_map.get(col, col) for col in LABELLED_COLUMNS}
    missing = [source[c] for c in ("sentence", "target", "label") if source[c] not in raw.columns]
    if missing:
        raise DataError(
            f"{path}: missing columns {missing}; it has {list(raw.columns)} "
            f"(map other names with column_map, e.g. {{'sentence': 'text'}})"
        )
    has_spans = source["span_start"] in raw.columns and source["span_end"] in raw.columns
    rows = []
    for i, record in enumerate(raw.to_dict(orient="records")):
        at = f"{path}, {where[i]}"
        sentence, target = record[source["sentence"]], record[source["target"]]
        for name, value in (("sentence", sentence), ("target", target)):
            if not isinstance(value, str) or not value.strip():
                raise DataError(f"{at}: {name} is empty or not text ({value!r})")
        label = _stance_label(record[source["label"]], at)
        start = end = None
        if has_spans:
            start, end = _span(
                record[source["span_start"]], record[source["span_end"]], sentence, at
            )
        row_id = record.get(source["id"]) if source["id"] in raw.columns else None
        if row_id is None or (isinstance(row_id, float) and pd.isna(row_id)) or row_id == "":
            row_id = default_ids[i]
        rows.append((sentence, target, start, end, label, str(row_id)))
    return _table(rows)


def _read_jsonl(path: Path):
    """Yield (line number, object) for each non-blank line of a JSON-lines file."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as err:
        raise DataError(f"cannot open {path}: {err}") from err
    with handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise DataError(f"{path}, line {line_no}: not valid JSON ({err.msg})") from err
            if not isinstance(record, dict):
                raise DataError(
                    f"{path}, line {line_no}: expected a JSON object, got {record!r:.60}"
                )
            yield line_no, record


def _stance_label(value, at: str) -> str:
    """Map a label cell to a stance label, or raise naming the row and the accepted values."""
    text = str(value).strip().lower() if value is not None else ""
    if text in STANCE_LABELS:
        return text
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None and number.is_integer() and int(number) in POLARITY_TO_LABEL:
        return POLARITY_TO_LABEL[int(number)]
    raise DataError(
        f"{at}: unknown label {value!r}; accepted: {list(STANCE_LABELS)} "
        f"or polarities {list(POLARITY_TO_LABEL)}"
    )


def _span(start, end, sentence: str, at: str) -> tuple[int | None, int | None]:
    """Parse a (start, end) char span; both blank means unknown; else it must lie in the sentence."""
    blank = [
        v is None or (isinstance(v, float) and pd.isna(v)) or str(v).strip() == ""
        for v in (start, end)
    ]
    if all(blank):
        return None, None
    try:
        start_i, end_i = int(float(str(start))), int(float(str(end)))
    except ValueError:
        start_i = end_i = -1
    if any(blank) or not 0 <= start_i < end_i <= len(sentence):
        raise DataError(
            f"{at}: span ({start!r}, {end!r}) is not a char range inside the sentence of "
            f"length {len(sentence)}; accepted: 0 <= span_start < span_end <= length, or both blank"
        )
    return start_i, end_i


def _table(rows: list[tuple]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=list(LABELLED_COLUMNS))
    for col in ("span_start", "span_end"):
        table[col] = table[col].astype("Int64")
    for col in ("sentence", "target", "label", "id"):
        table[col] = table[col].astype(str)
    return table


# --------------------------------------------------------------------------------------------
# The coded state-stance set (codebook-state-v1): labels keyed to sentences of the shared corpora

#: The bundled coded set: ``framing/data/<STATE_SET>/`` (``meta.toml``, ``items.csv``, ``codes.csv``).
STATE_SET = "state-stance-v1"
#: Splits of the state set a spec may name (``state:<split>[-<language>]``, e.g. ``state:test-en``).
STATE_SPLITS: tuple[str, ...] = ("train", "dev", "test")
#: Item units of the state set.
STATE_UNITS: tuple[str, ...] = ("mention", "article")
#: Columns of ``items.csv`` (no text: the text is read from the corpus and checked by sha256).
STATE_ITEM_COLUMNS: tuple[str, ...] = (
    "item_id", "unit", "corpus", "language", "article_id", "sent_id", "section", "start", "end",
    "text_sha256", "target", "mention", "span_start", "span_end", "outlet", "leaning", "split",
    "label", "label_resolution", "holder", "holder_resolution", "n_coders",
)


def state_set_folder(name_or_path: str | Path | None = None) -> Path:
    """The folder of a coded state set: a path, or a name bundled under ``framing/data/``."""
    candidate = Path(name_or_path) if name_or_path is not None else paths.PACKAGE_DIR / "data" / STATE_SET
    if not candidate.is_dir() and name_or_path is not None:
        candidate = paths.PACKAGE_DIR / "data" / str(name_or_path)
    if not (candidate / "items.csv").is_file():
        raise ConfigError(
            f"coded state set not found: {name_or_path or STATE_SET} (expected a folder with items.csv "
            f"and meta.toml, or the bundled name {STATE_SET!r})"
        )
    return candidate


def read_state_items(folder: str | Path | None = None) -> tuple[pd.DataFrame, dict]:
    """The keyed items (``STATE_ITEM_COLUMNS``, no text) and ``meta.toml`` of a coded state set.

    Examples
    --------
    >>> items, meta = read_state_items()
    >>> sorted(set(items["split"])) == ["dev", "test", "train"]
    True
    """
    import tomllib

    folder = state_set_folder(folder)
    try:
        meta = tomllib.loads((folder / "meta.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise DataError(f"{folder / 'meta.toml'}: cannot read ({err})") from err
    items = tableio.read_csv(folder / "items.csv", dtype=str, keep_default_na=False)
    missing = [c for c in STATE_ITEM_COLUMNS if c not in items.columns]
    if missing:
        raise DataError(f"{folder / 'items.csv'}: missing columns {missing}; expected {list(STATE_ITEM_COLUMNS)}")
    for col in ("sent_id", "start", "end", "span_start", "span_end", "n_coders"):
        items[col] = pd.to_numeric(items[col].replace("", None), errors="coerce").astype("Int64")
    return items, meta


def _corpus_articles(spec: Mapping[str, object], ids: set[str], root: Path) -> pd.DataFrame:
    """The article table of the records of one corpus whose id is in ``ids`` (as ``framing ingest``)."""
    from framing.corpus import loading as corpus

    path = root / str(spec["path"])
    if not path.is_file():
        raise DataError(
            f"corpus file not found: {path}; the coded state set reads its sentences from the shared "
            f"data folder ({paths.DATA_ENV}={root})"
        )
    columns = dict(spec.get("columns", {}))
    id_column = columns.get("article_id", "article_id")
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
    else:
        frame = pd.DataFrame([record for _, record in _read_jsonl(path)])
    frame = frame.loc[frame[id_column].astype(str).isin(ids)].reset_index(drop=True)
    return corpus.articles_from_frame(frame, path, column_map=columns, near_duplicates=False)


def _chosen_items(items: pd.DataFrame, unit: str, split: str | None, language: str | None) -> pd.DataFrame:
    """The items of one unit, split and language (None: all), the arguments checked."""
    if split is not None and split not in STATE_SPLITS:
        raise ConfigError(f"unknown state split {split!r}; accepted: {list(STATE_SPLITS)}")
    if unit not in STATE_UNITS:
        raise ConfigError(f"unknown unit {unit!r}; accepted: {list(STATE_UNITS)}")
    languages = sorted(set(items["language"]))
    if language is not None and language not in languages:
        raise ConfigError(f"unknown language {language!r} for the state set; accepted: {languages}")
    return items.loc[(items["unit"] == unit)
                     & (items["split"] == split if split else True)
                     & (items["language"] == language if language else True)]


def state_articles(
    *,
    split: str | None = None,
    language: str | None = None,
    unit: str = "article",
    folder: str | Path | None = None,
    data_dir: str | Path | None = None,
) -> pd.DataFrame:
    """The article table (as ``framing ingest`` makes it) of the articles of the coded state set.

    Parameters
    ----------
    split, language : str, optional
        Restrict to the articles of items of this split / language.
    unit : {"article", "mention"}
        The articles of which items (default: those coded as a whole).
    folder, data_dir : optional
        As for :func:`load_state`.

    Returns
    -------
    DataFrame
        ``schema.ARTICLE_COLUMNS`` plus ``corpus`` (the corpus name of ``meta.toml``).
    """
    items, meta = read_state_items(folder)
    chosen = _chosen_items(items, unit, split, language)
    root = Path(data_dir) if data_dir is not None else paths.data_dir()
    parts = [_corpus_articles(meta["corpora"][name], set(part["article_id"]), root).assign(corpus=name)
             for name, part in chosen.groupby("corpus", sort=True)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def load_state(
    split: str | None = None,
    *,
    language: str | None = None,
    unit: str = "mention",
    folder: str | Path | None = None,
    data_dir: str | Path | None = None,
) -> pd.DataFrame:
    """Load the coded state-stance set with its text, read from the shared corpora and checked.

    The project keeps only labels keyed to sentences (article id, sentence number and offsets,
    sha256 of the sentence); the text is read from the corpora named in ``meta.toml``, cleaned
    and split by the same functions as ``framing ingest`` / ``framing mentions``, and every
    sentence is checked against its sha256.

    Parameters
    ----------
    split : {"train", "dev", "test"}, optional
        Default: all splits.
    language : {"en", "nl"}, optional
        Default: all languages.
    unit : {"mention", "article"}
        ``mention``: (sentence, target) items; ``article``: (article, target) items, whose
        ``sentence`` is the title and text of the article.
    folder : path or str, optional
        A coded set folder (default: the bundled ``state-stance-v1``).
    data_dir : path, optional
        The shared data folder (default ``framing.runs.paths.data_dir()``).

    Returns
    -------
    DataFrame
        ``LABELLED_COLUMNS`` (``target`` is the mention's words, as the classifier sees them;
        ``id`` the item id) plus ``target_id``, ``language``, ``holder``, ``split``,
        ``article_id``, ``sent_id``, ``outlet``, ``leaning``, ``label_source``.

    Raises
    ------
    ConfigError
        Unknown split, language or unit.
    DataError
        A corpus file is missing, or sentences no longer match their sha256 (the corpus or the
        cleaning changed): the message counts them and names the first.
    """
    import hashlib

    from framing.text import preprocess

    items, meta = read_state_items(folder)
    chosen = _chosen_items(items, unit, split, language)
    root = Path(data_dir) if data_dir is not None else paths.data_dir()
    corpora = meta.get("corpora", {})
    texts: dict[tuple[str, str], str] = {}
    sentence_at: dict[tuple[str, str, int], str] = {}
    for name, part in chosen.groupby("corpus", sort=True):
        if name not in corpora:
            raise DataError(f"the state set names corpus {name!r}, which meta.toml does not describe")
        articles = _corpus_articles(corpora[name], set(part["article_id"]), root)
        for aid, title, text in zip(articles["article_id"], articles["title"], articles["text"], strict=True):
            title = title if isinstance(title, str) else ""
            texts[(name, str(aid))] = f"{title}\n\n{text}" if title else str(text)
        if unit == "mention":
            sentences = preprocess.split_articles(articles)
            for aid, sid, text in sentences[["article_id", "sent_id", "text"]].itertuples(index=False):
                sentence_at[(name, str(aid), int(sid))] = text
    rows, bad = [], []
    for item in chosen.itertuples(index=False):
        if unit == "mention":
            text = sentence_at.get((item.corpus, item.article_id, int(item.sent_id)))
        else:
            text = texts.get((item.corpus, item.article_id))
        if text is None or hashlib.sha256(text.encode("utf-8")).hexdigest() != item.text_sha256:
            bad.append(item.item_id)
            continue
        start, end = (item.span_start, item.span_end) if unit == "mention" else (pd.NA, pd.NA)
        rows.append({
            "sentence": text, "target": item.mention, "span_start": start, "span_end": end,
            "label": item.label, "id": item.item_id, "target_id": item.target, "language": item.language,
            "holder": item.holder, "split": item.split, "article_id": item.article_id,
            "sent_id": item.sent_id, "outlet": item.outlet, "leaning": item.leaning,
            "label_source": f"coded:{meta.get('codebook', {}).get('id', '')}",
        })
    if bad:
        raise DataError(
            f"{len(bad)} of {len(chosen)} coded item(s) no longer match their text's sha256 (first: "
            f"{bad[0]}): the corpus under {root} or the cleaning and sentence splitting changed since "
            f"the set was coded"
        )
    table = pd.DataFrame(rows, columns=[*LABELLED_COLUMNS, "target_id", "language", "holder", "split",
                                        "article_id", "sent_id", "outlet", "leaning", "label_source"])
    for col in ("span_start", "span_end", "sent_id"):
        table[col] = table[col].astype("Int64")
    return table.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Park, Pan & Joo (2021): entity-to-entity directed sentiment, read as stance toward a state

#: Splits of the directed-sentiment set -> file under ``data/directed_sentiment_park2021/``.
PARK_SPLITS: dict[str, str] = {"train": "train.txt", "dev": "valid.txt", "test": "test.txt"}
#: Class -> (entity the stance is toward, label): PROVENANCE.md, "Reading it as stance toward a
#: target". Class 0 (no sentiment between the two) is read as neutral toward both, a weak reading.
PARK_CLASSES: dict[int, dict[str, str]] = {
    0: {"p": "neutral", "q": "neutral"},
    1: {"q": "favor", "p": "neutral"},
    2: {"p": "favor", "q": "neutral"},
    3: {"q": "against", "p": "neutral"},
    4: {"p": "against", "q": "neutral"},
}
_PARK_ENTITY = re.compile(r"\[([^\[\]]+)\]")


def load_park(
    split: str = "test",
    *,
    data_dir: str | Path | None = None,
    target_set: str = "targets-v1",
) -> pd.DataFrame:
    """The rows of the directed-sentiment set whose entity p or q is a target actor (US, China, EU).

    Each (row, entity naming a target) gives one labelled item: the sentence without its
    brackets, the entity's words as the target with their span, and the stance the class gives
    toward that entity (``PARK_CLASSES``). A stance the *other* entity holds toward this one is
    what the class codes; a class-0 row (no sentiment between the two) is read as neutral, though
    the author may still take a side: a weaker reading, reported as such.

    Parameters
    ----------
    split : {"train", "dev", "test"}
    data_dir : path, optional
    target_set : str
        Which aliases name a target (English aliases of the target set).

    Returns
    -------
    DataFrame
        ``LABELLED_COLUMNS`` plus ``target_id``, ``language`` ("en"), ``label_source``
        ("park2021"), ``park_class``.
    """
    from framing.text import targets as targets_mod

    if split not in PARK_SPLITS:
        raise ConfigError(f"unknown split {split!r} of the directed-sentiment set; accepted: {list(PARK_SPLITS)}")
    root = Path(data_dir) if data_dir is not None else paths.data_dir()
    path = root / "data" / "directed_sentiment_park2021" / PARK_SPLITS[split]
    if not path.is_file():
        raise DataError(f"directed-sentiment file not found: {path}")
    tset = targets_mod.load_targets(target_set)
    rows, entities = [], []
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 4 or not fields[3].strip().isdigit() or int(fields[3]) not in PARK_CLASSES:
            raise DataError(f"{path}, line {line_no}: expected 'sentence<TAB>p<TAB>q<TAB>class' with class 0-4")
        marked, klass = fields[0], int(fields[3])
        sentence, spans, pos = [], [], 0
        for match in _PARK_ENTITY.finditer(marked):
            sentence.append(marked[pos:match.start()])
            start = sum(len(s) for s in sentence)
            sentence.append(match.group(1))
            spans.append((start, start + len(match.group(1)), match.group(1)))
            pos = match.end()
        sentence.append(marked[pos:])
        if len(spans) != 2:
            continue
        text = "".join(sentence)
        for role, (start, end, words) in zip(("p", "q"), spans, strict=True):
            entities.append(words)
            rows.append((text, words, start, end, PARK_CLASSES[klass][role], f"{path.name}#line={line_no}:{role}", klass))
    names = pd.DataFrame({"article_id": [str(i) for i in range(len(entities))], "sent_id": 0, "section": "body",
                          "start": 0, "end": [len(e) for e in entities], "text": entities})
    found = targets_mod.find_mentions(names, {a: "en" for a in names["article_id"]}, tset, by="sentence")
    target_of = dict(zip(found["article_id"].astype(int), found["target"], strict=True)) if len(found) else {}
    keep = [(i, r) for i, r in enumerate(rows) if i in target_of]
    table = _table([r[:6] for _, r in keep])
    table["target_id"] = [target_of[i] for i, _ in keep]
    table["language"] = "en"
    table["label_source"] = "park2021"
    table["park_class"] = [r[6] for _, r in keep]
    return table
