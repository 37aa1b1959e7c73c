"""Import codes end to end: read coded files against their sample, agree, adjudicate, write the folder."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from framing.annotate.agreement import (
    adjudicate,
    agreement,
    codes_sha256,
    disagreements,
    labelled_table,
)
from framing.annotate.codebook import Codebook, load_codebook
from framing.annotate.items import ALL
from framing.annotate.read import read_codes, read_decisions, read_sample
from framing.infra import schema, tableio
from framing.infra.defaults import IMPORT_FILES, LABEL_SOURCE_PREFIX  # noqa: F401 - public here too
from framing.infra.errors import ConfigError

__all__ = ["IMPORT_FILES", "LABEL_SOURCE_PREFIX", "ImportResult", "import_codes", "write_import"]


@dataclass
class ImportResult:
    """Everything :func:`import_codes` found; write it with :func:`write_import`."""

    sample: pd.DataFrame
    codes: pd.DataFrame
    agreement: pd.DataFrame
    pairs: pd.DataFrame
    coders: pd.DataFrame
    disagreements: pd.DataFrame
    adjudicated: pd.DataFrame
    labelled: pd.DataFrame
    codebook: Codebook
    sources: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def import_codes(
    sample_path: str | Path,
    coded_paths: Sequence[str | Path],
    *,
    codebook: Codebook | None = None,
    coders: Sequence[str] | None = None,
    allow_missing: bool = False,
    decisions_path: str | Path | None = None,
    field: str = "label",
) -> ImportResult:
    """Read coded files against their sample, check them, measure agreement and adjudicate.

    Parameters
    ----------
    sample_path : path
        The ``sample.csv`` the files were coded from.
    coded_paths : sequence of path
        One per coder (CSV), or Label Studio exports (JSON; one or more annotators each).
    codebook : Codebook, optional
        Default :func:`load_codebook` ().
    coders : sequence of str, optional
        A name per coded file (default: file names without extension).
    allow_missing : bool
        See :func:`read_codes`.
    decisions_path : path, optional
        A filled-in ``disagreements.csv`` (:func:`read_decisions`).
    field : {"label", "holder"}
        The coded column to import; ``"holder"`` needs a codebook with ``[[holders]]`` and gives
        agreement, disagreements and adjudication of the holder (the labelled file then has a
        ``holder`` column instead of ``label``).

    Returns
    -------
    ImportResult

    Raises
    ------
    ConfigError
        No coded file, a coder named twice, or ``coders`` of the wrong length.
    DataError
        Any problem in a file (see :func:`read_sample`, :func:`read_codes`).
    """
    from framing.runs.folders import file_sha256

    codebook = (codebook or load_codebook()).for_field(field)
    if not coded_paths:
        raise ConfigError("no coded file given; pass one file per coder (or Label Studio exports)")
    if coders is not None and len(coders) != len(coded_paths):
        raise ConfigError(f"{len(coders)} coder name(s) for {len(coded_paths)} file(s); give one per file")
    sample = read_sample(sample_path)
    notes: list[str] = []
    stated = sample.attrs.get("codebook", "")
    if stated and codebook.sha256 not in stated:
        notes.append(f"the sample was drawn under '{stated[2:]}', codes read with {codebook.id} "
                     f"sha256 {codebook.sha256}: check that the label definitions match")
    tables, sources, owner = [], [], {}
    for k, path in enumerate(coded_paths):
        table = read_codes(path, sample, codebook, coder=coders[k] if coders else None,
                           allow_missing=allow_missing)
        for c in table["coder"].unique():
            if c in owner:
                raise ConfigError(
                    f"coder {c!r} comes from both {owner[c]} and {path}; name coders with --coders a,b,..."
                )
            owner[c] = str(path)
        tables.append(table)
        sources.append({"path": str(path), "sha256": file_sha256(path),
                        "coders": sorted(table["coder"].unique())})
    codes = pd.concat(tables, ignore_index=True)
    n_coders = codes["coder"].nunique()
    if n_coders < 2:
        notes.append("one coder only: agreement needs two or more; codes taken as they are")
    skipped = int((codes["label"] == "").sum())
    if skipped:
        notes.append(f"{skipped} code(s) missing (items a coder skipped): left out of agreement pairs")
    stats = agreement(codes, sample, codebook)
    decisions = read_decisions(decisions_path, sample, codebook) if decisions_path else {}
    adjudicated = adjudicate(codes, sample, decisions=decisions)
    labelled = labelled_table(adjudicated, sample, codebook)
    counts = adjudicated["resolution"].value_counts()
    if counts.get("unresolved", 0):
        notes.append(f"{int(counts['unresolved'])} item(s) unresolved: fill 'adjudicated' in "
                     f"{IMPORT_FILES['disagreements']} and import again with it as the adjudication file "
                     "(into another output folder)")
    other = adjudicated["label"].ne("") & ~adjudicated["label"].isin(
        schema.STANCE_LABELS if field == "label" else codebook.labels)
    if other.any():
        notes.append(f"{int(other.sum())} item(s) with non-stance labels left out of the labelled file")
    return ImportResult(
        sample=sample, codes=codes, agreement=stats["agreement"], pairs=stats["pairs"],
        coders=stats["coders"], disagreements=disagreements(codes, sample), adjudicated=adjudicated,
        labelled=labelled, codebook=codebook, sources=sources, notes=notes,
    )


def write_import(result: ImportResult, folder: str | Path) -> dict[str, Any]:
    """Write the tables of an import (``IMPORT_FILES``) and return their paths and hashes.

    Parameters
    ----------
    result : ImportResult
    folder : path

    Returns
    -------
    dict
        ``IMPORT_FILES`` key -> path, plus ``labelled_sha256`` (sha256 of ``labelled.csv``, the
        value ``framing train`` records for that file) and ``codes_sha256`` (:func:`codes_sha256`).
    """
    from framing.runs.folders import file_sha256, write_json, write_text

    folder = Path(folder)
    paths = {k: folder / v for k, v in IMPORT_FILES.items()}

    def csv_out(table: pd.DataFrame, key: str) -> None:
        write_text(tableio.csv_text(table, lineterminator="\n"), paths[key])

    csv_out(result.agreement, "agreement")
    csv_out(result.pairs, "pairs")
    csv_out(result.coders, "coders")
    csv_out(result.codes[["id", "coder", "label", "note"]], "codes")
    csv_out(result.disagreements, "disagreements")
    csv_out(result.adjudicated, "adjudicated")
    csv_out(result.labelled, "labelled")
    out: dict[str, Any] = dict(paths)
    out["labelled_sha256"] = file_sha256(paths["labelled"])
    out["codes_sha256"] = codes_sha256(result.codes)
    overall = result.agreement.loc[(result.agreement["target"] == ALL) & (result.agreement["label"] == ALL)]
    summary = json.loads(overall.drop(columns=["target", "label"]).to_json(orient="records"))
    write_json({
        "codebook": {"id": result.codebook.id, "sha256": result.codebook.sha256},
        "sources": result.sources,
        "n_items": len(result.sample),
        "n_coders": int(result.codes["coder"].nunique()),
        "resolution": {k: int(v) for k, v in result.adjudicated["resolution"].value_counts().sort_index().items()},
        "n_disagreements": len(result.disagreements),
        "n_labelled": len(result.labelled),
        "agreement_overall": summary[0] if summary else {},
        "labelled_sha256": out["labelled_sha256"],
        "codes_sha256": out["codes_sha256"],
        "notes": list(result.notes),
    }, paths["manifest"])
    return out
