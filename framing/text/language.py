"""Language identification per article, with py3langid's bundled model (no download).

The identifier is built once per process, on first use. It reads a bounded prefix of each text
(``PREFIX_CHARS``, cut at a space) because the language of a news article is settled by its first
paragraphs and the cost grows with length. Probabilities are normalised (``norm_probs=True``).

Codes: every language the model knows is returned, as its ISO 639-1 code. The model also has labels
for varieties without one; these are folded into their ISO 639-1 macrolanguage with their
probabilities added (``MACROLANGUAGE``: Wu and Cantonese -> zh, Egyptian and Moroccan Arabic -> ar,
...), so a Mandarin article whose probability is split between zh and wuu is confidently zh. Labels
with neither (e.g. ``ace``, ``pcm``) are kept as their ISO 639-3 code, as BCP 47 does.

Undetermined (``"und"``, confidence 0.0): empty text, fewer than ``MIN_LETTERS`` letters, or a best
probability below ``MIN_CONFIDENCE``. The threshold is low on purpose: on texts of a few sentences
the normalised probability of the right language is often only 0.4-0.6 (a short English sentence
scores about 0.5) while wrong guesses on such texts are rare; on a full article it is nearly 1.

Short texts (headlines, captions, one-line posts) are another matter: "EU fines US tech giant" is
undetermined, and a one-line headline is now and then labelled e.g. Nigerian Pidgin (``pcm``).
:func:`needs_context` says when a detection is too weak to stand alone (fewer than
``SHORT_TEXT_CHARS`` characters and a probability below ``CONTEXT_CONFIDENCE``, or undetermined);
:mod:`framing.corpus.languages` then gives such a text the language of its context (the user's
language, its outlet's, its corpus's).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

UNDETERMINED = "und"
#: Characters of a text that are classified (cut back to the last space before the limit).
PREFIX_CHARS = 1000
#: Texts with fewer letters than this are undetermined.
MIN_LETTERS = 10
#: A best probability below this gives "und".
MIN_CONFIDENCE = 0.3
#: Texts (title and body together) shorter than this are short: one detection may not settle them.
SHORT_TEXT_CHARS = 200
#: A short text detected with a probability below this takes the language of its context.
CONTEXT_CONFIDENCE = 0.9
#: Model labels folded into an ISO 639-1 macrolanguage; "zxx" is the model's "no linguistic content".
MACROLANGUAGE: dict[str, str] = {
    "wuu": "zh",  # Wu Chinese
    "yue": "zh",  # Cantonese
    "arz": "ar",  # Egyptian Arabic
    "ary": "ar",  # Moroccan Arabic
    "uzs": "uz",  # Southern Uzbek
    "sdh": "ku",  # Southern Kurdish
    "gug": "gn",  # Paraguayan Guarani
    "fuv": "ff",  # Nigerian Fulfulde
    "kik": "ki",  # Gikuyu
    "ltg": "lv",  # Latgalian (Latvian macrolanguage)
    "zxx": UNDETERMINED,
}

#: Matches once a text has MIN_LETTERS letters.
ENOUGH_LETTERS_RE = re.compile(rf"(?:[^\W\d_][\W\d_]*){{{MIN_LETTERS}}}")
_MERGED_CODES = frozenset(MACROLANGUAGE.values()) - {UNDETERMINED}

_IDENTIFIER = None
_LOCK = threading.Lock()


def _identifier():
    """The py3langid identifier, built on first use."""
    global _IDENTIFIER
    if _IDENTIFIER is None:
        with _LOCK:
            if _IDENTIFIER is None:
                from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

                _IDENTIFIER = LanguageIdentifier.from_modelpath(
                    MODEL_DIR / MODEL_FILE, norm_probs=True
                )
    return _IDENTIFIER


def _prefix(text: str) -> str:
    if len(text) <= PREFIX_CHARS:
        return text
    cut = text.rfind(" ", 0, PREFIX_CHARS)
    return text[: cut if cut > PREFIX_CHARS // 2 else PREFIX_CHARS]


def detect_language(text: str) -> tuple[str, float]:
    """Return (ISO 639-1 code, confidence in [0, 1]) for ``text``; ("und", 0.0) when unsure.

    Parameters
    ----------
    text : str
        Any text; only its first ``PREFIX_CHARS`` characters are read.

    Returns
    -------
    (code, confidence) : tuple of (str, float)
        ``code`` is an ISO 639-1 code (ISO 639-3 for the few model languages without one), or
        ``"und"`` with confidence 0.0 for empty, too short or letterless text and for best
        probabilities below ``MIN_CONFIDENCE``.

    Examples
    --------
    >>> detect_language("De regering heeft vandaag nieuwe maatregelen aangekondigd.")[0]
    'nl'
    >>> detect_language("   ")
    ('und', 0.0)
    """
    if not isinstance(text, str):
        return UNDETERMINED, 0.0
    prefix = _prefix(text)
    if ENOUGH_LETTERS_RE.search(prefix) is None:
        return UNDETERMINED, 0.0
    identifier = _identifier()
    label, prob = identifier.classify(prefix)
    code = MACROLANGUAGE.get(label, label)
    if prob < 0.5 or code in _MERGED_CODES:
        # another label may add to this code, or overtake it once varieties are merged; above 0.5
        # and outside these families no other code can, so the full ranking is skipped for speed
        merged: dict[str, float] = {}
        for other, p in identifier.rank(prefix):
            merged_code = MACROLANGUAGE.get(other, other)
            merged[merged_code] = merged.get(merged_code, 0.0) + p
        merged.pop(UNDETERMINED, None)
        code, prob = max(merged.items(), key=lambda kv: kv[1])
    if code == UNDETERMINED or prob < MIN_CONFIDENCE:
        return UNDETERMINED, 0.0
    return code, min(1.0, float(prob))


def needs_context(text: str | int, language: str, score: float) -> bool:
    """Whether a detected language is too uncertain to stand alone: the text needs its context.

    True for an undetermined text (``"und"``) and for a short text (fewer than
    ``SHORT_TEXT_CHARS`` characters) detected with a probability below ``CONTEXT_CONFIDENCE``:
    a few words leave the identifier unsure and now and then wrong, while a full article
    settles its language.

    Parameters
    ----------
    text : str or int
        The text that was identified (title and body), or its length in characters.
    language, score : str, float
        What :func:`detect_language` returned for it.

    Returns
    -------
    bool

    Examples
    --------
    >>> needs_context("Xi meets Biden as ties thaw", "en", 0.6)
    True
    >>> needs_context("Xi meets Biden as ties thaw", "en", 0.95)
    False
    >>> needs_context(5000, "und", 0.0)
    True
    """
    length = text if isinstance(text, int) else len(text)
    if language == UNDETERMINED:
        return True
    return length < SHORT_TEXT_CHARS and score < CONTEXT_CONFIDENCE


def detect_languages(texts: Iterable[str]) -> list[tuple[str, float]]:
    """Return ``detect_language`` of each text, in order.

    Parameters
    ----------
    texts : iterable of str

    Returns
    -------
    list of (str, float)
    """
    return [detect_language(t) for t in texts]
