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
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from framing import config
from framing.errors import ConfigError, DataError
from framing.evaluation import STANCE_LABELS

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
    root = Path(data_dir) if data_dir is not None else config.data_dir()
    return root / "data" / "newsmtsc" / "paper_splits" / NEWSMTSC_SPLITS[split]


def load_newsmtsc(split: str, *, data_dir: str | Path | None = None) -> pd.DataFrame:
    """Load one NewsMTSC split as a labelled table (one row per sentence-target pair).

    Parameters
    ----------
    split : {"train", "dev-rw", "test-rw", "dev-mt", "test-mt"}
        ``rw``: real-world target distribution; ``mt``: sentences with several targets.
    data_dir : path, optional
        The shared data folder; default ``framing.config.data_dir()``. The files are read from
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
            f"(set {config.DATA_ENV} or pass data_dir to the folder holding data/newsmtsc)"
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
            raw = pd.read_csv(path, dtype=str, keep_default_na=False)
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
