"""Read coder files back: the sample, filled-in CSVs, Label Studio exports, adjudicator decisions."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from framing.annotate.codebook import Codebook
from framing.annotate.export import LS_CONTROL, LS_NOTE, SAMPLE_FILES
from framing.annotate.sample import SAMPLE_COLUMNS
from framing.infra import tableio
from framing.infra.defaults import IMPORT_FILES
from framing.infra.errors import DataError

__all__ = ["read_codes", "read_decisions", "read_sample", "read_sample_ids"]

_CSV_DELIMITERS = (",", ";", "\t")


def _read_csv(path: Path) -> tuple[list[str], list[str], list[tuple[int, dict[str, str]]]]:
    """(comment lines, header, [(line number, row dict)]) of a CSV with optional '#' lines first.

    The delimiter is the one of ``,``/``;``/tab whose header row has an ``id`` or ``item_id``
    column (spreadsheets in some locales save with ``;``). Cells neutralised on writing
    (:func:`framing.infra.tableio.restore_cell`) get their original value back.
    """
    if not path.is_file():
        raise DataError(f"file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataError(
            f"{path}: not UTF-8 text (byte {err.start}); save it as 'CSV UTF-8' and try again"
        ) from err
    for delimiter in _CSV_DELIMITERS:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        comments: list[str] = []
        header: list[str] | None = None
        try:
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                if cells[0].lstrip().startswith("#"):
                    comments.append(cells[0].strip())
                    continue
                header = [tableio.restore_cell(c.strip()) for c in cells]
                break
            if header is None or not {"id", "item_id"} & {h.lower() for h in header}:
                continue
            rows = []
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
                    raise DataError(
                        f"{path}, line {reader.line_num}: {len(cells)} cells but the header has "
                        f"{len(header)} columns"
                    )
                rows.append((reader.line_num, dict(zip(header, [tableio.restore_cell(c) for c in cells] + [""] *
                                                       (len(header) - len(cells)), strict=False))))
        except csv.Error as err:
            raise DataError(f"{path}, line {reader.line_num}: not valid CSV ({err})") from err
        lower = {h.lower(): h for h in header}
        rename = {lower[k]: k for k in lower if k in ("id", "item_id", "label", "note", "adjudicated")}
        rows = [(n, {rename.get(k, k): v for k, v in r.items()}) for n, r in rows]
        return comments, [rename.get(h, h) for h in header], rows
    raise DataError(
        f"{path}: no header row with an 'id' (or Label Studio 'item_id') column found; "
        "expected a sample CSV written by `framing annotate sample` (separated by , ; or tab)"
    )


def read_sample(path: str | Path) -> pd.DataFrame:
    """Read a sample CSV written by :func:`write_sample` (the reference for importing codes).

    Parameters
    ----------
    path : path

    Returns
    -------
    DataFrame
        ``SAMPLE_COLUMNS`` as text, except ``sent_id`` (int) and ``span_start``/``span_end``
        (Int64); ``attrs["codebook"]`` is the codebook line of the header (``""`` if none).

    Raises
    ------
    DataError
        Missing columns, a repeated or empty id, or a bad ``sent_id``; naming the row.
    """
    path = Path(path)
    comments, header, rows = _read_csv(path)
    required = ("id", "target", "sentence", "article_id", "sent_id")
    missing = [c for c in required if c not in header]
    if missing:
        raise DataError(
            f"{path}: missing columns {missing}; it has {header}. Pass the sample.csv that "
            "`framing annotate sample` wrote (unedited) as the reference"
        )
    seen: dict[str, int] = {}
    for line, row in rows:
        rid = row["id"].strip()
        if not rid:
            raise DataError(f"{path}, line {line}: empty id")
        if rid in seen:
            raise DataError(f"{path}, line {line}: id {rid!r} repeats line {seen[rid]}")
        seen[rid] = line
        if not row["sent_id"].strip().lstrip("-").isdigit():
            raise DataError(f"{path}, line {line}: sent_id {row['sent_id']!r} is not an integer")
    table = pd.DataFrame([r for _, r in rows], columns=header).fillna("")
    for col in SAMPLE_COLUMNS:
        if col not in table.columns:
            table[col] = ""
    table = table[list(SAMPLE_COLUMNS)].copy()
    table["id"] = table["id"].str.strip()
    table["sent_id"] = table["sent_id"].astype(str).str.strip().astype(np.int64)
    for col in ("span_start", "span_end"):
        table[col] = pd.to_numeric(table[col].replace("", None), errors="coerce").astype("Int64")
    table.attrs["codebook"] = next((c for c in comments if c.startswith("# codebook:")), "")
    table.attrs["lines"] = [line for line, _ in rows]
    return table


def read_sample_ids(path: str | Path) -> list[str]:
    """The item ids of a CSV with an ``id`` (or ``item_id``) column: a sample, coded or labelled file.

    Parameters
    ----------
    path : path

    Returns
    -------
    list of str
        Non-empty ids, in file order.
    """
    _, header, rows = _read_csv(Path(path))
    column = "id" if "id" in header else "item_id"
    return [row[column].strip() for _, row in rows if row[column].strip()]


def _normalise_label(value: Any, labels: Sequence[str], at: str) -> str:
    text = "" if value is None else str(value).strip().lower()
    if text and text not in labels:
        raise DataError(f"{at}: unknown label {value!r}; accepted: {list(labels)}, or blank to skip")
    return text


def _annotator(annotation: Mapping[str, Any]) -> str:
    who = annotation.get("completed_by", annotation.get("annotator", ""))
    if isinstance(who, dict):
        who = who.get("email") or who.get("id") or ""
    return str(who)


def _ls_choice(results: Any, labels: Sequence[str], at: str) -> tuple[str, str]:
    """(label, note) of one Label Studio annotation result list."""
    label, note = "", ""
    for res in results or []:
        value = res.get("value", {}) if isinstance(res, dict) else {}
        if res.get("type") == "choices" and res.get("from_name", LS_CONTROL) == LS_CONTROL:
            picked = value.get("choices") or []
            if len(picked) > 1:
                raise DataError(f"{at}: {len(picked)} labels chosen ({picked}); one is accepted")
            label = _normalise_label(picked[0] if picked else "", labels, at)
        elif res.get("type") == "textarea" and res.get("from_name") == LS_NOTE:
            note = " ".join(value.get("text") or [])
    return label, note


def _read_label_studio(path: Path, labels: Sequence[str]) -> tuple[list[str], list[dict[str, str]]]:
    """(item ids present, code rows {id, annotator, label, note, where}) of a Label Studio export."""
    limit = sys.get_int_max_str_digits()  # an integer longer than this stays text (no int())
    try:
        tasks = json.loads(
            path.read_text(encoding="utf-8-sig"),
            parse_int=lambda digits: digits if limit and len(digits) > limit else int(digits),
        )
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DataError(f"{path}: not a Label Studio JSON export ({err})") from err
    except RecursionError as err:
        raise DataError(f"{path}: not a Label Studio JSON export (nested too deeply)") from err
    if not isinstance(tasks, list):
        raise DataError(f"{path}: expected a JSON list of tasks (Label Studio 'JSON' or 'JSON-MIN' export)")
    present, codes = [], []
    for i, task in enumerate(tasks, start=1):
        at = f"{path}, task {i}"
        if not isinstance(task, dict):
            raise DataError(f"{at}: expected an object, got {task!r:.60}")
        data = task.get("data", task)
        rid = str(data.get("item_id", "")).strip() if isinstance(data, dict) else ""
        if not rid:
            raise DataError(
                f"{at} (Label Studio id {task.get('id')!r}): no item_id; import tasks from the "
                f"{SAMPLE_FILES['tasks']} that `framing annotate sample` wrote"
            )
        at = f"{at}, item {rid!r}"
        present.append(rid)
        if "annotations" in task:  # full JSON export: one entry per annotator
            for annotation in task.get("annotations") or []:
                if annotation.get("was_cancelled"):
                    label, note = "", "skipped in Label Studio"
                else:
                    label, note = _ls_choice(annotation.get("result"), labels, at)
                codes.append({"id": rid, "annotator": _annotator(annotation), "label": label,
                              "note": note, "where": at})
        elif "data" not in task:  # JSON-MIN export: task fields and the choice at top level
            value = task.get(LS_CONTROL, "")
            if isinstance(value, dict):  # some versions nest {"choices": [...]}
                value = (value.get("choices") or [""])[0]
            codes.append({"id": rid, "annotator": _annotator(task),
                          "label": _normalise_label(value, labels, at),
                          "note": str(task.get(LS_NOTE, "") or ""), "where": at})
    return present, codes


def read_codes(
    path: str | Path,
    sample: pd.DataFrame,
    codebook: Codebook,
    *,
    coder: str | None = None,
    allow_missing: bool = False,
) -> pd.DataFrame:
    """Read one coded file: a filled-in sample CSV, or a Label Studio export (JSON, JSON-MIN, CSV).

    Parameters
    ----------
    path : path
        ``.csv``: one coder per file, columns ``id`` (or Label Studio's ``item_id``) and
        ``label``; a blank label is a skipped item. ``.json``: a Label Studio export; each
        annotator is a coder, named after the file when it has one annotator, else
        ``"<file stem>:<annotator>"``; a task without an annotation by a coder, or a cancelled
        one, is a skipped item.
    sample : DataFrame
        :func:`read_sample` of the sample the file was coded from.
    codebook : Codebook
    coder : str, optional
        Coder name (default: the file name without extension).
    allow_missing : bool
        Accept a file that lacks some sample items (rows deleted): they count as skipped.

    Returns
    -------
    DataFrame
        One row per (sample item, coder): ``id, coder, label, note, source``; ``label`` is
        ``""`` where the coder did not code the item.

    Raises
    ------
    DataError
        Unknown label, id not in the sample, repeated id, missing rows (unless
        ``allow_missing``), or an unreadable file; the message names the file and row.
    """
    path = Path(path)
    name = coder or path.stem
    ids = sample["id"].tolist()
    known = set(ids)
    suffix = path.suffix.lower()
    if suffix == ".json":
        if not path.is_file():
            raise DataError(f"file not found: {path}")
        if codebook.field != "label":
            raise DataError(f"{path}: Label Studio exports carry the label only; code {codebook.field!r} in the CSV")
        present, rows = _read_label_studio(path, codebook.labels)
        annotators = sorted({r["annotator"] for r in rows})
        for r in rows:
            r["coder"] = name if len(annotators) <= 1 else f"{name}:{r['annotator']}"
        coders = sorted({r["coder"] for r in rows}) or [name]
    elif suffix in (".csv", ".tsv", ".txt"):
        _, header, raw = _read_csv(path)
        id_col = "item_id" if "item_id" in header else "id"
        column = codebook.field
        if column not in header:
            raise DataError(
                f"{path}: no {column!r} column; it has {header}. Fill the {column} column of the sample CSV"
            )
        present, rows = [], []
        for line, row in raw:
            rid = row[id_col].strip()
            at = f"{path}, line {line}, id {rid!r}"
            present.append(rid)
            rows.append({"id": rid, "coder": name, "note": row.get("note", ""), "where": at,
                         "label": _normalise_label(row[column], codebook.labels, at)})
        coders = [name]
    else:
        raise DataError(f"{path}: unsupported file type {suffix!r}; accepted: .csv, .json (Label Studio export)")
    first_at: dict[str, int] = {}
    for k, rid in enumerate(present):
        if rid not in known:
            raise DataError(
                f"{rows[k]['where'] if k < len(rows) and rows[k]['id'] == rid else path}: id {rid!r} is "
                f"not in the sample ({len(ids)} items); was the file coded from another sample?"
            )
        if rid in first_at:
            raise DataError(f"{path}: id {rid!r} appears twice (entries {first_at[rid] + 1} and {k + 1})")
        first_at[rid] = k
    seen_pairs: dict[tuple[str, str], str] = {}
    for r in rows:
        key = (r["id"], r["coder"])
        if key in seen_pairs:
            raise DataError(f"{r['where']}: coder {r['coder']!r} coded this item twice (also {seen_pairs[key]})")
        seen_pairs[key] = r["where"]
    lacking = [i for i in ids if i not in first_at]
    if lacking and not allow_missing:
        raise DataError(
            f"{path}: {len(lacking)} sample item(s) missing (first: {lacking[:3]}); keep every row "
            "and leave the label blank to skip an item, or pass allow_missing (--allow-missing)"
        )
    by_key = {(r["id"], r["coder"]): r for r in rows}
    out = [
        {"id": i, "coder": c, "label": by_key.get((i, c), {}).get("label", ""),
         "note": str(by_key.get((i, c), {}).get("note", "") or ""), "source": str(path)}
        for c in coders for i in ids
    ]
    return pd.DataFrame(out, columns=["id", "coder", "label", "note", "source"])


def read_decisions(path: str | Path, sample: pd.DataFrame, codebook: Codebook) -> dict[str, str]:
    """Adjudicator decisions: a filled-in ``disagreements.csv`` (columns ``id``, ``adjudicated``).

    Parameters
    ----------
    path : path
    sample : DataFrame
    codebook : Codebook

    Returns
    -------
    dict
        item id -> label, for rows with a non-blank ``adjudicated`` cell.

    Raises
    ------
    DataError
        Missing column, unknown label, id not in the sample, or a repeated id; naming the row.
    """
    path = Path(path)
    _, header, rows = _read_csv(path)
    if "adjudicated" not in header:
        raise DataError(
            f"{path}: no 'adjudicated' column; it has {header}. Fill the 'adjudicated' column of "
            f"the {IMPORT_FILES['disagreements']} that `framing annotate import` wrote"
        )
    known = set(sample["id"])
    out: dict[str, str] = {}
    lines: dict[str, int] = {}
    for line, row in rows:
        rid = row.get("id", row.get("item_id", "")).strip()
        at = f"{path}, line {line}, id {rid!r}"
        if rid not in known:
            raise DataError(f"{at}: not an item of the sample")
        if rid in lines:
            raise DataError(f"{at}: repeats line {lines[rid]}")
        lines[rid] = line
        label = _normalise_label(row["adjudicated"], codebook.labels, at)
        if label:
            out[rid] = label
    return out
