"""Export a sample for coding: CSV with the codebook in its header, Label Studio tasks and config."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import pandas as pd

from framing.annotate.codebook import Codebook
from framing.annotate.sample import CODER_COLUMNS, Sample
from framing.infra import tableio

__all__ = [
    "LS_CONTROL",
    "LS_NOTE",
    "SAMPLE_FILES",
    "label_studio_config",
    "label_studio_tasks",
    "write_sample",
]

#: Files :func:`write_sample` writes into its folder.
SAMPLE_FILES: dict[str, str] = {
    "sample": "sample.csv",
    "coder": "coder.csv",
    "tasks": "label-studio-tasks.json",
    "config": "label-studio-config.xml",
    "manifest": "sample.json",
}
#: Name of the Label Studio control that holds the label (also the column of its CSV export).
LS_CONTROL = "label"
LS_NOTE = "note"
#: Placeholder shown by Label Studio for an empty context (it renders nothing for "").
_NO_CONTEXT = "(none)"
_SHA_SHOWN = 12


def _codebook_header(codebook: Codebook) -> list[str]:
    labels = ", ".join(codebook.labels)
    lines = [
        f"# framing annotation sample. Fill the column 'label' with one of: {labels}. "
        "Leave it blank to skip an item; 'note' is free text. Do not edit other columns, "
        "reorder ids or delete rows.",
        f"# codebook: {codebook.id} sha256 {codebook.sha256}",
        f"# coding unit: {codebook.coding_unit}",
    ]
    if codebook.holders:
        lines.append(f"# Fill the column 'holder' too, with one of: {', '.join(codebook.holders)}.")
    if codebook.instructions:
        lines.append(f"# instructions: {codebook.instructions}")
    lines += [f"# {lab}: {codebook.definitions[lab]}" for lab in codebook.labels]
    lines += [f"# holder {h}: {codebook.holder_definitions[h]}" for h in codebook.holders]
    lines += [f"# rule '{r['name']}': {r['rule']} Examples: {' / '.join(r['examples'])}"
              for r in codebook.rules]
    return lines


def _with_holder(items: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """``items`` with an empty ``holder`` column after ``label`` when the codebook codes holders."""
    if not codebook.holders or "holder" in items.columns:
        return items
    at = list(items.columns).index("label") + 1 if "label" in items.columns else len(items.columns)
    return items.reindex(columns=[*items.columns[:at], "holder", *items.columns[at:]], fill_value="")


def _csv_text(header_comments: Sequence[str], table: pd.DataFrame) -> str:
    """CSV text; each comment line is one quoted-if-needed cell, so spreadsheets keep it whole.

    Formula cells are neutralised (:mod:`framing.infra.tableio`); :func:`_read_csv` restores them.
    """
    buf = io.StringIO()
    cells = [*header_comments, *table.columns, *(v for row in table.itertuples(index=False) for v in row)]
    writer = csv.writer(buf, lineterminator="\n", quoting=tableio.csv_quoting(cells))
    for line in header_comments:
        writer.writerow([line])
    writer.writerow([tableio.neutralise_cell(c) for c in table.columns])
    for row in table.itertuples(index=False):
        writer.writerow(["" if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA
                         else tableio.neutralise_cell(v) for v in row])
    return buf.getvalue()


def label_studio_config(codebook: Codebook) -> str:
    """The Label Studio labeling config (XML) for a sample coded under ``codebook``.

    One single-choice control named ``label`` (so Label Studio's CSV and JSON-MIN exports have a
    ``label`` column), an optional free-text ``note``, the marked sentence between its context
    sentences, and the codebook in a collapsible panel (each choice also carries its definition
    as a hover hint).

    Parameters
    ----------
    codebook : Codebook

    Returns
    -------
    str
        XML text; the task fields it reads are those of :func:`label_studio_tasks`.
    """
    def attr(value: str) -> str:
        return quoteattr(value)

    choices = "\n".join(
        f"    <Choice value={attr(lab)} hint={attr(codebook.definitions[lab])}/>" for lab in codebook.labels
    )
    definitions = "\n".join(
        f'        <Header value={attr(lab)} size="5"/>\n'
        f"        <Text name={attr('codebook_' + lab)} value={attr(codebook.definitions[lab])}/>"
        for lab in codebook.labels
    )
    instructions = (
        f'        <Header value="Instructions" size="5"/>\n'
        f"        <Text name=\"codebook_instructions\" value={attr(codebook.instructions)}/>\n"
        if codebook.instructions else ""
    )
    return (
        f"<!-- framing annotation: codebook {codebook.id} sha256 {codebook.sha256[:_SHA_SHOWN]} -->\n"
        "<View>\n"
        '  <Header value="$heading" size="4"/>\n'
        '  <View style="color: #666; margin-bottom: 0.5em">\n'
        '    <Text name="context_before" value="$context_before"/>\n'
        "  </View>\n"
        '  <View style="font-size: 1.15em; margin-bottom: 0.5em">\n'
        '    <Text name="sentence" value="$sentence_marked"/>\n'
        "  </View>\n"
        '  <View style="color: #666; margin-bottom: 1em">\n'
        '    <Text name="context_after" value="$context_after"/>\n'
        "  </View>\n"
        f'  <Choices name="{LS_CONTROL}" toName="sentence" choice="single-radio" required="true" '
        'showInline="true">\n'
        f"{choices}\n"
        "  </Choices>\n"
        f'  <TextArea name="{LS_NOTE}" toName="sentence" placeholder="note (optional)" '
        'maxSubmissions="1" editable="true"/>\n'
        "  <Collapse>\n"
        f"    <Panel value={attr('Codebook ' + codebook.id)}>\n"
        "      <View>\n"
        '        <Header value="Coding unit" size="5"/>\n'
        f"        <Text name=\"codebook_unit\" value={attr(codebook.coding_unit)}/>\n"
        f"{instructions}"
        f"{definitions}\n"
        "      </View>\n"
        "    </Panel>\n"
        "  </Collapse>\n"
        "</View>\n"
    )


def label_studio_tasks(sample: pd.DataFrame) -> list[dict[str, Any]]:
    """Label Studio tasks (``[{"data": {...}}, ...]``) for the items of a sample.

    ``data.item_id`` carries the item id (Label Studio keeps its own task ``id``); empty
    contexts are shown as ``"(none)"``. No labels or predictions are included.

    Parameters
    ----------
    sample : DataFrame
        ``Sample.items``.

    Returns
    -------
    list of dict
        JSON-ready; import the file :func:`write_sample` writes into a Label Studio project set
        up with :func:`label_studio_config`.
    """
    tasks = []
    for row in sample.itertuples(index=False):
        tasks.append({"data": {
            "item_id": row.id,
            "heading": f"Stance toward {row.target} (marked: {row.mention})",
            "target": row.target,
            "mention": row.mention,
            "context_before": row.context_before or _NO_CONTEXT,
            "sentence_marked": row.sentence_marked,
            "context_after": row.context_after or _NO_CONTEXT,
            "outlet": row.outlet,
            "language": row.language,
        }})
    return tasks


def write_sample(
    sample: Sample,
    folder: str | Path,
    *,
    codebook: Codebook,
    meta: Mapping[str, Any] | None = None,
) -> dict[str, Path]:
    """Write a sample for coding: CSV with codebook header, Label Studio tasks and config, manifest.

    Parameters
    ----------
    sample : Sample
    folder : path
        Created if needed; files named by ``SAMPLE_FILES``. Existing files are replaced.
    codebook : Codebook
    meta : mapping, optional
        Extra entries for ``sample.json`` (e.g. the input files and their sha256).

    Returns
    -------
    dict
        ``SAMPLE_FILES`` key -> path written. The files are byte-identical for the same inputs.
    """
    from framing.runs.folders import file_sha256, write_json, write_text

    folder = Path(folder)
    paths = {k: folder / v for k, v in SAMPLE_FILES.items()}
    write_text(_csv_text(_codebook_header(codebook), _with_holder(sample.items, codebook)), paths["sample"])
    # What a coder needs and nothing more: no outlet, leaning or stratum, which could anchor codes.
    blind = _with_holder(sample.items[list(CODER_COLUMNS)], codebook)
    write_text(_csv_text(_codebook_header(codebook), blind), paths["coder"])
    write_text(
        json.dumps(label_studio_tasks(sample.items), ensure_ascii=False, indent=1, sort_keys=True) + "\n",
        paths["tasks"],
    )
    write_text(label_studio_config(codebook), paths["config"])
    manifest = {
        **sample.params,
        "codebook": {"id": codebook.id, "sha256": codebook.sha256,
                     "path": str(codebook.path) if codebook.path else None},
        "n_items": len(sample.items),
        "sample_sha256": file_sha256(paths["sample"]),
        "strata_counts": json.loads(sample.strata.to_json(orient="records")),
        "notes": list(sample.notes),
        **dict(meta or {}),
    }
    write_json(manifest, paths["manifest"])
    return paths
