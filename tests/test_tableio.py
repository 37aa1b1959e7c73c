"""LaTeX tables a paper can print: booktabs rules, escaped text, fixed decimals, deterministic."""

from __future__ import annotations

import numpy as np
import pandas as pd

from framing.infra.tableio import latex_table, write_latex


def test_latex_table_escapes_text_and_formats_numbers(tmp_path):
    table = pd.DataFrame(
        {
            "outlet": ["Left & Co", "100% News", "snake_case #1", None],
            "mean": [-0.12345, 0.5, np.nan, 0.0],
            "n": [3, 40, 7, 1],
        }
    )
    text = latex_table(table, precision=2)
    assert text.startswith("\\begin{tabular}{lrr}\n\\toprule\n")
    assert "Left \\& Co & -0.12 & 3 \\\\" in text
    assert "100\\% News" in text and "snake\\_case \\#1" in text
    assert "\\#1 &  & 7" in text  # a missing number is an empty cell
    assert text.count("\\\\\n") == 5  # header + 4 rows
    path = write_latex(table, tmp_path / "t.tex", precision=2, caption="outlets")
    written = path.read_bytes()
    assert written.startswith(b"% outlets\n") and b"\r" not in written
    assert latex_table(table, precision=2) == text  # deterministic


def test_latex_table_header_is_escaped_and_index_dropped():
    table = pd.DataFrame({"p_adj (BH)": [0.01], "a_b": ["x"]}, index=["ignored"])
    text = latex_table(table)
    assert "p\\_adj (BH) & a\\_b \\\\" in text
    assert "ignored" not in text
