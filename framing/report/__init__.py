"""Comparison tables to HTML and Markdown reports; reads tables, never recomputes.

:mod:`~framing.report.build`
    :func:`~framing.report.build.build_report`: reads a run folder's tables and figures, writes
    ``report.html`` and ``report.md`` (the run folder contract is in its docstring).
:mod:`~framing.report.blocks` (with ``target_blocks`` and ``extra_blocks``)
    The report's sections as blocks: overview and methods, one section per target, further
    groupings, voices, same event, lexicon versus model, provenance.
:mod:`~framing.report.document`, :mod:`~framing.report.cells`
    The blocks, the context the sections read, and table cells as text plus a sort key.
:mod:`~framing.report.evidence`
    The evidence passages of the score table and the term spans of a sentence.
:mod:`~framing.report.html`, :mod:`~framing.report.markdown`
    The renderers: a self-contained HTML page (escaping, Content-Security-Policy) and its
    Markdown twin.

The comparison tables and figures themselves are computed and named by
:mod:`framing.analysis.report_tables`.
"""

from __future__ import annotations

from framing.report.build import build_report

__all__ = ["build_report"]
