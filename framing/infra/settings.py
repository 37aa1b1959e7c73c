"""The config validator: each field of a settings dataclass says in its metadata how its value is read.

A field's metadata holds a check (``field(default="lexicon", metadata=_check(Choice(...)))``): one of
:class:`Text`, :class:`Choice`, :class:`Integer`, :class:`Number`, :class:`ListOf`,
:class:`PathValue`, :class:`NameOrPath`, :class:`Table`, :class:`Flag` and :class:`FlagOrNames`. :func:`_read_fields`
applies them to the keys a TOML table holds. Every problem raises a :class:`ConfigError` naming the
file, the key path, what was received and what is accepted. The settings dataclasses themselves
live with the layer they configure (``framing.stance.settings``, ``framing.runs.config``).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from framing.infra.errors import ConfigError
from framing.infra.paths import (
    DATA_ENV,
    LEXICONS_ENV,
    MODELS_ENV,
    _did_you_mean,
    data_dir,
    is_name,
    lexicons_dir,
    models_dir,
)

# ``${NAME}`` (environment variable) or ``{name}`` (folder placeholder), in one pass so that an
# expanded value is never expanded again.
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}|\{([^}]*)\}")


@dataclass(frozen=True)
class _Context:
    """Where a config comes from, for messages and relative paths."""

    file: str  # as the user gave it, for messages
    source: Path | None = None
    base: Path = Path(".")  # relative paths resolve here
    check_paths: bool = False


#: Returned by a check when the value stands for the field's default (``None`` written by
#: ``to_dict`` for "not set", or "" where that means "not set").
_DEFAULT: Any = object()


@dataclass(frozen=True)
class Text:
    """A string; ``empty=False`` refuses "" and blanks; ``pattern`` must match the whole string.

    >>> Text(empty=False).read(_Context("x.toml"), "name", "", {})
    Traceback (most recent call last):
    framing.infra.errors.ConfigError: name in x.toml: expected a non-empty string; received '' (str)
    """

    empty: bool = True
    pattern: re.Pattern[str] | None = None
    #: What a string matching ``pattern`` looks like, for the message.
    expected: str = ""

    def read(self, ctx: _Context, key: str, value: Any, folders: Mapping[str, Path]) -> str:
        text = _str(ctx, key, value, empty=self.empty)
        if self.pattern is not None and not self.pattern.fullmatch(text):
            raise _bad(ctx, key, self.expected, text)
        return text


@dataclass(frozen=True)
class Choice:
    """One of the ``accepted`` strings (a tuple, or a function returning it when the vocabulary
    lives in a higher module); ``blank=True``: "" keeps the default.

    >>> Choice(("lexicon", "model")).read(_Context("x.toml"), "scoring.method", "lexicom", {})
    Traceback (most recent call last):
    framing.infra.errors.ConfigError: scoring.method in x.toml: received 'lexicom' (str); accepted: 'lexicon', 'model'; did you mean lexicon?
    """

    accepted: tuple[str, ...] | Callable[[], tuple[str, ...]]
    blank: bool = False

    def read(self, ctx: _Context, key: str, value: Any, folders: Mapping[str, Path]) -> Any:
        if self.blank and not value:
            _str(ctx, key, value)
            return _DEFAULT
        accepted = self.accepted() if callable(self.accepted) else self.accepted
        if not isinstance(value, str) or value not in accepted:
            hint = _did_you_mean(value, accepted) if isinstance(value, str) else ""
            raise ConfigError(
                f"{key} in {ctx.file}: received {_describe(value)}; accepted: "
                f"{', '.join(repr(a) for a in accepted)}{hint}"
            )
        return value


@dataclass(frozen=True)
class Integer:
    """An integer (not a bool) in ``[low, high]``; ``high=None``: no upper bound.

    >>> Integer(1).read(_Context("x.toml"), "compare.n_boot", 0, {})
    Traceback (most recent call last):
    framing.infra.errors.ConfigError: compare.n_boot in x.toml: expected an integer >= 1; received 0 (int)
    """

    low: int
    high: int | None = None

    def read(self, ctx: _Context, key: str, value: Any, folders: Mapping[str, Path]) -> int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        if not ok or value < self.low or (self.high is not None and value > self.high):
            span = f">= {self.low}" if self.high is None else f"in [{self.low}, {self.high}]"
            raise _bad(ctx, key, f"an integer {span}", value)
        return value


@dataclass(frozen=True)
class Number:
    """A number (int or float, not a bool) between ``low`` and ``high``, read as a float; an
    ``*_open`` bound is excluded; ``note`` is added to the message.

    >>> Number(0, 1, high_open=True).read(_Context("x.toml"), "scoring.neutral_band", 1.5, {})
    Traceback (most recent call last):
    framing.infra.errors.ConfigError: scoring.neutral_band in x.toml: expected a number in [0, 1); received 1.5 (float)
    """

    low: float
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    note: str = ""

    def span(self) -> str:
        """The accepted range as the message writes it: ``"> 0"``, ``"in [0, 1)"``."""
        if self.high is None:
            return f"> {self.low}" if self.low_open else f">= {self.low}"
        return f"in {'(' if self.low_open else '['}{self.low}, {self.high}{')' if self.high_open else ']'}"

    def read(self, ctx: _Context, key: str, value: Any, folders: Mapping[str, Path]) -> float:
        number = not isinstance(value, bool) and isinstance(value, int | float)
        x = float(value) if number else float("nan")
        above = x > self.low if self.low_open else x >= self.low
        below = self.high is None or (x < self.high if self.high_open else x <= self.high)
        if not (above and below):
            raise _bad(ctx, key, f"a number {self.span()}{self.note}", value)
        return x


@dataclass(frozen=True)
class ListOf:
    """A TOML array (a lone string counts as one item) of values read by ``item``, as a tuple.

    ``at_least``: what the message asks for when the list is empty (None: empty is fine);
    ``unique``: drop repeats, keeping the first; ``problem``: a function of the tuple returning
    why it cannot be used, or None.

    >>> ListOf().read(_Context("x.toml"), "compare.by", "outlet", {})
    ('outlet',)
    """

    item: Any = Text(empty=False)
    at_least: str | None = None
    unique: bool = False
    problem: Callable[[tuple[Any, ...]], str | None] | None = None

    def read(self, ctx: _Context, key: str, value: Any, folders: Mapping[str, Path]) -> tuple:
        if not isinstance(value, list | str):
            raise _bad(ctx, key, 'a list, e.g. ["a", "b"]', value)
        values = [value] if isinstance(value, str) else value
        items = tuple(self.item.read(ctx, f"{key}[{i}]", v, folders) for i, v in enumerate(values))
        if self.at_least is not None and not items:
            raise _bad(ctx, key, self.at_least, value)
        if self.unique:
            items = tuple(dict.fromkeys(items))
        problem = self.problem(items) if self.problem is not None else None
        if problem:
            raise ConfigError(f"{key} in {ctx.file}: {problem}")
        return items


@dataclass(frozen=True)
class PathValue:
    """A path: placeholders expanded, resolved against the config's folder.

    ``must_exist``: "file" or "any" (file or folder), checked with ``check_paths``;
    ``optional``: None keeps the default; ``blank``: "" keeps the default.

    >>> PathValue().read(_Context("x.toml", base=Path("/data")), "data_dir", "{config_dir}/a", {"config_dir": Path("/cfg")})
    PosixPath('/cfg/a')
    """

    must_exist: str = ""
    optional: bool = False
    blank: bool = False

    def read(self, ctx: _Context, key: str, value: Any, folders: Mapping[str, Path]) -> Any:
        if value is None and self.optional:
            return _DEFAULT
        if self.blank and not value:
            _str(ctx, key, value)
            return _DEFAULT
        return _path(ctx, key, value, folders, must_exist=self.must_exist)


@dataclass(frozen=True)
class NameOrPath:
    """A lexicon or model: a bare name stays a name, anything else becomes an absolute path;
    ``expected`` (when given) refuses "" with that text.

    >>> NameOrPath().read(_Context("x.toml"), "scoring.model", "stance-v1", {})
    'stance-v1'
    """

    expected: str = ""

    def read(self, ctx: _Context, key: str, value: Any, folders: Mapping[str, Path]) -> str:
        text = _name_or_path(ctx, key, value, folders)
        if self.expected and not text:
            raise _bad(ctx, key, self.expected, "")
        return text


@dataclass(frozen=True)
class Table:
    """A TOML table, kept as a read-only :class:`FrozenDict`.

    ``expected``: the message's words for it (``{key}`` is filled in); ``strings``: every value a
    non-empty string; ``check_name(ctx, key, name)``: raises when a name is refused.

    >>> Table(strings=True).read(_Context("x.toml"), "corpus.extra", {"leaning": "bias"}, {})
    FrozenDict({'leaning': 'bias'})
    """

    expected: str = 'a table [{key}] of name = "column" lines'
    strings: bool = False
    check_name: Callable[[_Context, str, str], None] | None = None

    def read(self, ctx: _Context, key: str, value: Any, folders: Mapping[str, Path]) -> FrozenDict:
        if not isinstance(value, Mapping):
            raise _bad(ctx, key, self.expected.format(key=key), value)
        if self.strings:
            value = {k: _str(ctx, f"{key}.{k}", v, empty=False) for k, v in value.items()}
        for name in value if self.check_name is not None else ():
            self.check_name(ctx, key, name)
        return FrozenDict(value)


@dataclass(frozen=True)
class Flag:
    """True or false (TOML booleans only: "yes" or 1 are refused, not guessed).

    >>> Flag().read(_Context("x.toml"), "report.figure_titles", 1, {})
    Traceback (most recent call last):
    framing.infra.errors.ConfigError: report.figure_titles in x.toml: expected true or false; received 1 (int)
    """

    def read(self, ctx: _Context, key: str, value: Any, folders: Mapping[str, Path]) -> bool:
        if isinstance(value, bool):
            return value
        raise _bad(ctx, key, "true or false", value)


@dataclass(frozen=True)
class FlagOrNames:
    """True, false, or a non-empty list of names (repeats dropped) that the flag applies to.

    >>> FlagOrNames().read(_Context("x.toml"), "corpus.dayfirst", ["Le Monde", "Le Monde"], {})
    ('Le Monde',)
    """

    def read(self, ctx: _Context, key: str, value: Any, folders: Mapping[str, Path]) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, list) and value:
            return ListOf(unique=True).read(ctx, key, value, folders)
        raise _bad(ctx, key, "true, false or a list of outlet names", value)


def _check(spec: Any, missing: str = "") -> dict[str, Any]:
    """Field metadata: ``spec`` reads the value; ``missing`` (for required keys) says what to add."""
    return {"check": spec, "missing": missing} if missing else {"check": spec}


class FrozenDict(dict):
    """A read-only, hashable dict (column maps inside frozen configs); pickles like a dict."""

    def _read_only(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("this mapping is part of a frozen config and cannot be changed")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _read_only  # type: ignore[assignment]
    __ior__ = _read_only  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items())))

    def __reduce__(self) -> tuple[type, tuple[dict]]:
        return (FrozenDict, (dict(self),))

    def __repr__(self) -> str:
        return f"FrozenDict({dict.__repr__(self)})"


def _describe(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def _bad(ctx: _Context, key: str, expected: str, value: Any) -> ConfigError:
    return ConfigError(f"{key} in {ctx.file}: expected {expected}; received {_describe(value)}")


def _str(ctx: _Context, key: str, value: Any, *, empty: bool = True) -> str:
    if not isinstance(value, str) or (not empty and not value.strip()):
        raise _bad(ctx, key, "a string" if empty else "a non-empty string", value)
    return value


def _expand(ctx: _Context, key: str, text: str, folders: Mapping[str, Path]) -> str:
    defaults = {DATA_ENV: data_dir, MODELS_ENV: models_dir, LEXICONS_ENV: lexicons_dir}

    def replace(match: re.Match[str]) -> str:
        env, name = match.group(1), match.group(2)
        if env is not None:
            if env in os.environ:
                return os.environ[env]
            if env in defaults:
                return str(defaults[env]())
            raise ConfigError(
                f"{key} in {ctx.file}: environment variable {env!r} (in {text!r}) is not set; "
                f"set it, or write the path"
            )
        if name in folders:
            return str(folders[name])
        raise ConfigError(
            f"{key} in {ctx.file}: unknown placeholder {{{name}}} in {text!r}; accepted: "
            f"{', '.join('{' + k + '}' for k in folders)} and ${{ENVIRONMENT_VARIABLE}}"
        )

    return _PLACEHOLDER.sub(replace, text)


def _path(
    ctx: _Context, key: str, value: Any, folders: Mapping[str, Path], *, must_exist: str = ""
) -> Path:
    """Expand placeholders, resolve against the config folder; ``must_exist``: "file"/"any"."""
    text = _expand(ctx, key, _str(ctx, key, value, empty=False), folders)
    try:
        path = Path(text).expanduser()
    except RuntimeError:  # "~user" of no known user, or "~" without a home folder
        raise ConfigError(
            f"{key} in {ctx.file}: cannot expand the '~' of {text!r} (no such user or no home "
            f"folder); write the full path"
        ) from None
    path = (path if path.is_absolute() else ctx.base / path).resolve()
    if ctx.check_paths and must_exist:
        exists = path.is_file() if must_exist == "file" else path.exists()
        if not exists:
            what = "file" if must_exist == "file" else "file or folder"
            raise ConfigError(
                f"{key} in {ctx.file}: {what} not found: {path} (from {value!r}; relative paths "
                f"start at {ctx.base})"
            )
    return path


def _name_or_path(ctx: _Context, key: str, value: Any, folders: Mapping[str, Path]) -> str:
    """A lexicon/model value: bare names stay names, anything else becomes an absolute path."""
    text = _str(ctx, key, value)
    if not text:
        return ""
    expanded = _expand(ctx, key, text, folders)
    return expanded if is_name(expanded) else str(_path(ctx, key, expanded, folders))


def _missing(ctx: _Context, key: str, advice: str) -> ConfigError:
    return ConfigError(f"{key} is missing in {ctx.file}: {advice}")


def _read_fields(
    cls: type,
    table: Mapping[str, Any],
    prefix: str,
    ctx: _Context,
    folders: Mapping[str, Path],
    names: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """Read the keys of ``table`` that are fields of ``cls``, each with its field's check.

    ``names`` (default: every field that is a setting, in field order) are the fields read; a
    field whose metadata says what is ``missing`` must be present. Absent keys, and values that
    stand for the default, are left out so the dataclass fills in its default.
    """
    fields = {f.name: f for f in dataclasses.fields(cls)}
    out: dict[str, Any] = {}
    for name in names if names is not None else [n for n, f in fields.items() if f.compare]:
        meta, key = fields[name].metadata, f"{prefix}{name}"
        if name not in table:
            if meta.get("missing"):
                raise _missing(ctx, key, meta["missing"])
            continue
        value = meta["check"].read(ctx, key, table[name], folders)
        if value is not _DEFAULT:
            out[name] = value
    return out
