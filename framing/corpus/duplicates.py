"""Exact and near duplicates: each points at the earliest matching row, nothing is dropped.

Exact duplicates: same text after lowercasing and collapsing whitespace. Near duplicates (wire
copies): estimated Jaccard similarity >= ``NEAR_DUPLICATE_THRESHOLD`` of word 5-gram shingles,
with MinHash LSH.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: Near duplicates: estimated Jaccard similarity of word 5-gram shingles at or above this. On
#: AllSides, pairs above 0.5 are the same story (wire copies, syndicated columns); below it they
#: are related stories sharing background paragraphs.
NEAR_DUPLICATE_THRESHOLD = 0.5
SHINGLE_WORDS = 5
#: Bottom-k cap on shingles per article: keeps MinHash cost flat for long texts while staying
#: consistent between two copies (both keep the same smallest hashes).
MAX_SHINGLES = 256
NUM_PERM = 128
MINHASH_SEED = 1
#: datasketch's default since 2.0; named so that signatures are always built the same way.
MINHASH_SCHEME = "affine32"


def _duplicates(
    keys: list[tuple[int, int] | None],
    signatures: list[np.ndarray | None],
    ids: list[str],
    threshold: float | None,
) -> tuple[list[str | None], list[str | None]]:
    """Return (duplicate_of, near_duplicate_of): ids of the earliest exact / near copy, or None.

    An exact duplicate is not also checked for near copies; texts under ``SHINGLE_WORDS`` words
    are only checked for exact copies.
    """
    n = len(keys)
    duplicate_of: list[str | None] = [None] * n
    near_of: list[str | None] = [None] * n
    first_with: dict[tuple[int, int], int] = {}
    candidates: list[int] = []
    for row, key in enumerate(keys):
        if key is None:
            continue
        first = first_with.setdefault(key, row)
        if first != row:
            duplicate_of[row] = ids[first]
        elif signatures[row] is not None:
            candidates.append(row)
    if threshold is None or len(candidates) < 2:
        return duplicate_of, near_of
    matrix = np.stack([signatures[row] for row in candidates])
    for position, earlier in enumerate(_near_matches(matrix, threshold).tolist()):
        if earlier >= 0:
            near_of[candidates[position]] = ids[candidates[earlier]]
    return duplicate_of, near_of


def _near_matches(matrix: np.ndarray, threshold: float) -> np.ndarray:
    """Per row of ``matrix`` (MinHash values, one row per text in input order): the earliest
    earlier row sharing an LSH band with it whose estimated Jaccard similarity is at least
    ``threshold``; -1 when none.

    The banding of datasketch's ``MinHashLSH`` (its bands and rows for the threshold; a band is
    shared when its values are equal), so the same pairs are found as when inserting every row into
    its index and querying it first. Computed band by band with numpy: that index holds 25 hash
    tables of Python objects, about 9 KB per article (1.9 GB for 200,000 articles).
    """
    from datasketch.lsh import _optimal_param

    bands, width = _optimal_param(threshold, NUM_PERM, 0.5, 0.5)
    n = len(matrix)
    best = np.full(n, n, dtype=np.int64)  # n: no match yet
    for band in range(bands):
        block = np.ascontiguousarray(matrix[:, band * width : (band + 1) * width])
        keys = block.view(np.dtype((np.void, block.dtype.itemsize * width))).ravel()
        group = np.unique(keys, return_inverse=True)[1].ravel()
        order = np.argsort(group, kind="stable")  # by group; input order inside a group
        starts = np.flatnonzero(np.r_[True, group[order][1:] != group[order][:-1]])
        ends = np.r_[starts[1:], n]
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            if end - start > 1:
                _match_in_bucket(matrix, order[start:end].tolist(), threshold, best)
    return np.where(best < n, best, -1)


def _match_in_bucket(matrix: np.ndarray, rows: list[int], threshold: float, best: np.ndarray) -> None:
    """Lower ``best[row]`` to the earliest earlier row of the bucket similar enough to ``row``."""
    size = np.float64(matrix.shape[1])
    for k, row in enumerate(rows[1:], start=1):
        for earlier in rows[:k]:
            if earlier >= best[row]:
                break
            # As datasketch's MinHash.jaccard: the share of equal values.
            if np.count_nonzero(matrix[row] == matrix[earlier]) / size >= threshold:
                best[row] = earlier
                break


def _signatures(shingles: list[np.ndarray]) -> list[np.ndarray | None]:
    """MinHash values (``NUM_PERM`` of them) per shingle set; None for an empty set."""
    from datasketch import MinHash

    filled = [values for values in shingles if len(values)]
    sketches = iter(
        MinHash.bulk(
            filled, num_perm=NUM_PERM, seed=MINHASH_SEED, hashfunc=_identity, scheme=MINHASH_SCHEME
        )
    )
    return [next(sketches).hashvalues if len(values) else None for values in shingles]


def _identity(value: Any) -> Any:
    return value


_SHINGLE_WEIGHTS = np.array(
    [
        0x9E3779B97F4A7C15,
        0xC2B2AE3D27D4EB4F,
        0x165667B19E3779F9,
        0x27D4EB2F165667C5,
        0xFF51AFD7ED558CCD,
    ],
    dtype=np.uint64,
)[:SHINGLE_WORDS]


def _mix64(values: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads consecutive integers over 64 bits (wrapping arithmetic)."""
    z = values + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _sketch_inputs(
    texts: list[str], *, want_shingles: bool
) -> tuple[list[tuple[int, int]], list[np.ndarray] | None]:
    """Exact-duplicate keys and shingle hashes for a batch of non-empty texts, vectorised.

    Texts are lowercased and split on whitespace (pyarrow). Each word gets a stable 64-bit hash;
    the exact key is (position-weighted sum of word hashes, word count): equal for texts equal up
    to case and spacing. Shingles are hashed word 5-grams (32 bits), distinct, capped to the
    ``MAX_SHINGLES`` smallest; texts shorter than 5 words get no shingles.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    words = pc.utf8_split_whitespace(pc.utf8_lower(pa.array(texts, type=pa.large_string())))
    lengths = pc.list_value_length(words).to_numpy(zero_copy_only=False).astype(np.int64)
    encoded = pc.dictionary_encode(pc.list_flatten(words))
    vocabulary = encoded.dictionary.to_numpy(zero_copy_only=False).astype(object)
    word_hash = pd.util.hash_array(vocabulary)[encoded.indices.to_numpy(zero_copy_only=False)]
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    owner = np.repeat(np.arange(len(texts)), lengths)
    position = np.arange(len(word_hash), dtype=np.int64) - starts[owner]
    weighted = word_hash * _mix64(position.astype(np.uint64) + np.uint64(1))
    sums = np.zeros(len(texts), dtype=np.uint64)
    filled = lengths > 0  # reduceat needs non-empty segments
    if filled.any():
        sums[filled] = np.add.reduceat(weighted, starts[filled])
    keys = list(zip(sums.tolist(), lengths.tolist(), strict=True))
    if not want_shingles:
        return keys, None

    k = len(_SHINGLE_WEIGHTS)
    m = max(len(word_hash) - k + 1, 0)
    hashes = np.zeros(m, dtype=np.uint64)
    for j in range(k):
        hashes = hashes + word_hash[j : j + m] * _SHINGLE_WEIGHTS[j]
    inside = owner[:m] == owner[k - 1 : k - 1 + m]  # the 5-gram does not cross into the next text
    # One sortable key per (text, shingle): text index in the high 32 bits, shingle hash below.
    combined = np.sort(
        (owner[:m][inside].astype(np.uint64) << np.uint64(32)) | (hashes[inside] >> np.uint64(32))
    )
    distinct = np.ones(len(combined), dtype=bool)
    distinct[1:] = combined[1:] != combined[:-1]
    combined = combined[distinct]  # np.sort + mask: np.unique is far slower here
    text_of = (combined >> np.uint64(32)).astype(np.int64)
    first = np.searchsorted(text_of, np.arange(len(texts)))
    keep = (np.arange(len(combined)) - first[text_of]) < MAX_SHINGLES  # sorted: the smallest first
    combined, text_of = combined[keep], text_of[keep]
    values = (combined & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    bounds = np.searchsorted(text_of, np.arange(len(texts) + 1))
    return keys, [values[bounds[i] : bounds[i + 1]] for i in range(len(texts))]
