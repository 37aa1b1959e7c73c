"""Bytes to text: byte-order marks, UTF-8, mixed files, cp1252 and guesses; binary data refused.

- A UTF-8/UTF-16/UTF-32 byte-order mark decides; else strict UTF-8; else Windows-1252 when
  charset-normalizer finds it clean (the legacy encoding of English and Dutch text;
  charset-normalizer alone misreads short Western texts, e.g. "cafť"); else charset-normalizer's
  best guess. A non-UTF-8 decoding is noted in ``reason`` ("decoded as cp1252") although the status
  stays "ok", so a guessed encoding can be found and checked.
- A file whose lines are partly UTF-8 and partly not (files pasted together) is decoded line by
  line, UTF-8 or Windows-1252, and the reason says how many lines were not UTF-8.
- Binary data (a known binary signature, or more than 5% NUL bytes or control characters, without
  a UTF-16/32 mark) is "unreadable" with reason "binary file"; a few stray NUL bytes in a text
  are removed by cleaning instead. UTF-16 without a mark is recognised by its NUL bytes, all on
  odd (little-endian) or all on even (big-endian) positions, and noted in ``reason``.
"""

from __future__ import annotations

import codecs
import re

# Binary signatures (code, not language data): PNG, JPEG, GIF, PDF, ZIP/docx, gzip, bzip2, 7z, xz.
_BINARY_SIGNATURES: tuple[bytes, ...] = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"%PDF-",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"BZh",
    b"7z\xbc\xaf",
    b"\xfd7zXZ",
)
# UTF-32 marks first: the UTF-32-LE mark starts with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_MAX_CONTROL_SHARE = 0.05
# UTF-16 without a byte-order mark: at least this share of the NUL bytes on one side (odd or even).
_UTF16_NUL_SHARE = 0.9
_CONTROL_SAMPLE = 65_536
_PREFERRED_LEGACY = "cp1252"
# Encoding label of a file decoded line by line (UTF-8 and cp1252), followed by the cp1252 lines.
_MIXED_PREFIX = "mixed:"


def _decode(data: bytes) -> tuple[str | None, str | None, str | None, str]:
    """Return (text, encoding, status, reason); status is None when the bytes are text."""
    for mark, encoding in _BOMS:
        if data.startswith(mark):
            try:
                return data.decode(encoding), encoding, None, ""
            except UnicodeDecodeError as err:
                reason = (
                    f"starts with a {encoding} byte-order mark but is not valid {encoding}: "
                    f"{err.reason} at byte {err.start}"
                )
                return None, None, "undecodable", reason
    if data.startswith(_BINARY_SIGNATURES):
        return None, None, "unreadable", "binary file"
    # A few stray NUL bytes in a long text (scraped data) do not make it binary: the share decides,
    # so one NUL cell no longer turns a whole CSV into a single "unreadable" row.
    if data.count(b"\x00") > _MAX_CONTROL_SHARE * len(data):
        text, encoding = _bomless_utf16(data)
        if text is None:
            return None, None, "unreadable", "binary file"
    else:
        text, encoding = _decode_text(data)
        if text is None:
            return None, None, "undecodable", "not UTF-8, and no known encoding fits the bytes"
    sample = text[:_CONTROL_SAMPLE]
    if sample and len(_CONTROL.findall(sample)) > _MAX_CONTROL_SHARE * len(sample):
        return None, None, "unreadable", "binary file"
    return text, encoding, None, ""


def _decode_text(data: bytes) -> tuple[str | None, str | None]:
    """(text, encoding) of bytes without a byte-order mark: UTF-8, else line by line, else a guess."""
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = _mixed_decode(data)
        if text is None:
            text, encoding = _guess_decode(data)
    return text, encoding


def _bomless_utf16(data: bytes) -> tuple[str | None, str | None]:
    """(text, "utf-16-le" or "utf-16-be") of UTF-16 text without a byte-order mark, else (None, None).

    In UTF-16 the spaces, digits and punctuation of any script (and every Latin letter) have a
    NUL high byte, so the NULs of such a text sit on every other byte, all odd (little-endian) or
    all even (big-endian); binary data has NULs on both. The bytes must also decode strictly.
    """
    if len(data) % 2:
        return None, None
    sample = data[: _CONTROL_SAMPLE * 2]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if max(even, odd) < _UTF16_NUL_SHARE * (even + odd):
        return None, None
    encoding = "utf-16-le" if odd > even else "utf-16-be"
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError:
        return None, None


def _guess_decode(data: bytes) -> tuple[str | None, str | None]:
    # Windows-1252 first: charset-normalizer alone calls short Latin-1/cp1252 texts mac_latin2 or
    # cp852 ("cafť", "ôdealö"); restricted to cp1252 it still rejects Cyrillic, Greek, CJK, etc.
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=[_PREFERRED_LEGACY]).best() or from_bytes(data).best()
    if best is None:
        return None, None
    return str(best), best.encoding


def _mixed_decode(data: bytes) -> tuple[str | None, str | None]:
    """UTF-8 lines and Windows-1252 lines in one file (files pasted together), each decoded as such.

    Only when some line with non-ASCII bytes is valid UTF-8 and some other line is not: decoding the
    whole file as cp1252 would turn the UTF-8 lines into mojibake ("cafÃ©"). Returns (None, None)
    otherwise, or when a non-UTF-8 line is not valid cp1252 either.
    """
    lines = data.splitlines(keepends=True)
    utf8_lines, other = 0, []
    for i, line in enumerate(lines):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8_lines += 1
        except UnicodeDecodeError:
            other.append(i)
    if not utf8_lines or not other:
        return None, None
    parts = []
    for i, line in enumerate(lines):
        try:
            parts.append(line.decode(_PREFERRED_LEGACY if i in other else "utf-8"))
        except UnicodeDecodeError:
            return None, None
    return "".join(parts), f"{_MIXED_PREFIX}{len(other)}"


def _encoding_note(encoding: str | None) -> str:
    if encoding in (None, "utf-8", "utf-8-sig", "utf-16", "utf-32"):
        return ""
    if encoding in ("utf-16-le", "utf-16-be"):
        return f"decoded as {encoding} (no byte-order mark; guessed from the NUL bytes)"
    if encoding.startswith(_MIXED_PREFIX):
        n = int(encoding[len(_MIXED_PREFIX) :])
        return f"mixed encodings: {n} line(s) decoded as {_PREFERRED_LEGACY}, the others as UTF-8"
    return f"decoded as {encoding} (not UTF-8)"
