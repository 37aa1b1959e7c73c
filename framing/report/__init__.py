"""Comparison tables to HTML and Markdown reports; reads tables, never recomputes."""
