"""Language identification per article.

INTERFACE STUB: signatures are the contract; bodies are being written.
"""

from __future__ import annotations

UNDETERMINED = "und"


def detect_language(text: str) -> tuple[str, float]:
    """Return (ISO 639-1 code, confidence in [0, 1]) for ``text``; ("und", 0.0) when unsure."""
    return ("en", 1.0) if text.strip() else (UNDETERMINED, 0.0)
