"""Files to the article table: readers, decoding, statuses, duplicates, chunked reading.

The modules follow the data flow: ``files`` (what to read) -> ``decoding`` (bytes to text) ->
``documents`` with ``sidecar`` (one article per file) or ``tables`` (one per record), giving the
raw rows of ``fields`` -> ``finish`` (cleaning, language, statuses; with ``labels``, ``dates`` and
``duplicates``). ``loading`` holds the calls, checked by ``options``; they are re-exported here.
"""

from __future__ import annotations

from framing.corpus.duplicates import NEAR_DUPLICATE_THRESHOLD
from framing.corpus.fields import CANONICAL_FIELDS, COLUMN_ALIASES
from framing.corpus.files import FORMATS
from framing.corpus.loading import articles_from_frame, load, read_chunks, summarise

__all__ = [
    "CANONICAL_FIELDS",
    "COLUMN_ALIASES",
    "FORMATS",
    "NEAR_DUPLICATE_THRESHOLD",
    "articles_from_frame",
    "load",
    "read_chunks",
    "summarise",
]
