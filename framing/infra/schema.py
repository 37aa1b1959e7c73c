"""Column names of the tables that flow between stages.

Every stage reads and writes pandas DataFrames with these columns (extra columns are kept,
never required). The names are the contract between modules; see README "Data flow".
"""

from __future__ import annotations

#: Article table written by ``corpus.load``. One row per input article, whatever happened to it.
ARTICLE_COLUMNS: tuple[str, ...] = (
    "article_id",  # str: given id, or a content hash (sha1 of outlet+title+text, 16 hex chars)
    "outlet",  # str: outlet name, "unknown" when no source states it
    "published",  # str "YYYY-MM-DD", NA when not stated, not parseable or implausible (raw value in published_raw)
    "language",  # str ISO 639-1 code, "und" when undetermined
    "language_score",  # float in [0, 1]: confidence of the language (see LANGUAGE_SOURCES)
    "title",  # str, cleaned ("" when none)
    "text",  # str, cleaned body text
    "source",  # str: where the row came from, e.g. "path/to/file.csv#row=12"
    "status",  # str: one of STATUSES
    "reason",  # str: why the status is not "ok"; on "ok" rows, notes (guessed encoding, renamed id) or ""
    "duplicate_of",  # str article_id of the first exact duplicate, or None
    "near_duplicate_of",  # str article_id of the first near duplicate (wire copy), or None
)

#: Column ``corpus.load`` writes right after ``ARTICLE_COLUMNS`` (article tables written before it
#: existed are still read): where the article's ``language`` came from, one of LANGUAGE_SOURCES.
ARTICLE_LANGUAGE_SOURCE = "language_source"

#: Values of ``language_source``. A short text (a headline) whose detection is uncertain takes the
#: language of its context (``framing.corpus.languages``); ``language_score`` is then 1.0 for a
#: given language and, for an outlet's or the corpus's, the share of that language among the
#: outlet's (corpus's) reliably identified articles.
LANGUAGE_SOURCES: dict[str, str] = {
    "column": "stated in the input (a language column or sidecar); wins for every article",
    "given": "the language the user gave for short texts (load(language=), --language)",
    "detected": "identified from the article's own text",
    "outlet": "short text: the dominant language of the outlet's reliably identified articles",
    "corpus": "short text: the dominant language of the corpus's reliably identified articles",
    "none": "undetermined, with no context to take a language from",
}

#: Per-article statuses. Every input article gets exactly one; none is dropped silently.
STATUSES: dict[str, str] = {
    "ok": "read, cleaned and in a supported language",
    "empty": "no text left (empty file, whitespace only, or only boilerplate)",
    "unreadable": "the file or row could not be read (binary, broken line, I/O error)",
    "undecodable": "the bytes could not be decoded as text in any known encoding",
    "unsupported_language": "the detected language has no lexicon or aliases; recorded, not scored",
    "too_large": "text longer than the configured maximum; processed truncated (see reason)",
}

#: Statuses whose text goes on to sentence splitting, mentions and scoring. A "too_large" article
#: is processed on its truncated text; its reason says so.
PROCESSED_STATUSES: tuple[str, ...] = ("ok", "too_large")

#: Sentence table written by ``preprocess.split_articles``.
SENTENCE_COLUMNS: tuple[str, ...] = (
    "article_id",
    "sent_id",  # int: 0 is the title (when there is one), body sentences count from 1
    "section",  # "title" or "body"
    "start",  # int: char offset in the section string (title or text)
    "end",  # int
    "text",  # str: the sentence, equal to section_string[start:end]
)

#: Mention table written by ``targets.find_mentions``: one row per (article, sentence, target).
MENTION_COLUMNS: tuple[str, ...] = (
    "article_id",
    "sent_id",
    "section",
    "target",  # str target id, e.g. "US", "CN", "EU"
    "n",  # int: number of alias hits of this target in this sentence
    "spans",  # list[list[int, int]]: char spans of the hits in the section string
    "aliases",  # list[str]: the matched surface forms, in span order
    "sentence",  # str: the sentence text
)
#: Column ``targets.find_mentions`` adds after ``MENTION_COLUMNS`` (tables written before it
#: existed are still read): author | reported | quoted | speaker (``framing.text.voice``), whose words
#: name the target.
MENTION_VOICE = "voice"

#: Stance labels, in order from against to favor.
STANCE_LABELS: tuple[str, ...] = ("against", "neutral", "favor")

#: Score table written by ``scoring``: one row per (article, target) the article mentions.
SCORE_COLUMNS: tuple[str, ...] = (
    "article_id",
    "outlet",
    "target",
    "method",  # "lexicon", "model" or "hybrid"
    "score",  # float in [-1, 1]: -1 against ... +1 favor
    "label",  # one of STANCE_LABELS
    "confidence",  # float in [0, 1]
    "n_mentions",  # int: sentences mentioning the target
    "n_cues",  # int: lexicon cues attributed to the target (0 for model-only)
    "evidence",  # list[dict]: top evidence, each {sent_id, sentence, score, terms: [{term, category, start, end}]}
)

#: Columns a comparison cannot group by: the keys and values of the score, sentence and frame
#: tables (grouping by them would make every article its own group or collide with the result).
RESERVED_GROUP_COLUMNS: tuple[str, ...] = (
    "article_id", "target", "method", "score", "label", "confidence", "n_mentions", "n_cues",
    "evidence", "sent_id", "section", "category", "count", "weight", "grouping", "group", "voice",
)


def group_column_problem(by: tuple[str, ...] | list[str]) -> str | None:
    """Why ``by`` cannot be used as comparison groups, or None when it can.

    >>> group_column_problem(["outlet", "leaning"]) is None
    True
    >>> group_column_problem(["article_id"])
    "'article_id' is a key or value of the score tables, not a group of articles; group by a column of the articles such as outlet, leaning or language"
    >>> group_column_problem(["outlet", "outlet"])
    "'outlet' is listed twice"
    """
    for i, column in enumerate(by):
        if column in RESERVED_GROUP_COLUMNS:
            return (
                f"{column!r} is a key or value of the score tables, not a group of articles; group by "
                "a column of the articles such as outlet, leaning or language"
            )
        if column in by[:i]:
            return f"{column!r} is listed twice"
    return None
