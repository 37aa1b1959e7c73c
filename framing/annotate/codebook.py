"""The codebook: labels, their definitions, decision rules and the coding unit, read from TOML."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from framing.infra import datafolder, defaults
from framing.infra.errors import ConfigError

__all__ = ["DEFAULT_CODEBOOK", "Codebook", "load_codebook"]

#: The codebook used when none is given: ``framing/data/<DEFAULT_CODEBOOK>.toml``.
DEFAULT_CODEBOOK = defaults.DEFAULT_CODEBOOK


@dataclass(frozen=True)
class Codebook:
    """Labels, their definitions and the coding unit; read by :func:`load_codebook`.

    Attributes
    ----------
    name, version : str, int
        ``id`` is ``f"{name}-v{version}"``.
    labels : tuple of str
        In the file's order (pole to pole when ``ordered``).
    definitions : dict
        label -> one-paragraph definition.
    coding_unit, instructions, description : str
    ordered : bool
        The labels form a scale (ordinal alpha is reported too).
    holders : tuple of str
        Values of a second coded field, ``holder`` (who holds the stance); empty when the codebook
        codes the label only.
    holder_definitions : dict
        holder -> definition.
    rules : tuple of dict
        Decision rules in order, each ``{"name", "rule", "examples"}`` (examples: list of str).
    article_unit, article_instructions : str
        The coding unit and instructions for article-level items (``[article]`` table); empty
        when the codebook has none.
    path : Path
    sha256 : str
        Of the file's bytes.
    """

    name: str
    version: int
    labels: tuple[str, ...]
    definitions: dict[str, str]
    coding_unit: str
    instructions: str = ""
    description: str = ""
    ordered: bool = False
    holders: tuple[str, ...] = ()
    holder_definitions: dict[str, str] = field(default_factory=dict)
    rules: tuple[dict[str, Any], ...] = ()
    article_unit: str = ""
    article_instructions: str = ""
    path: Path | None = None
    sha256: str = ""
    #: The coded column this codebook reads ("label", or "holder" from :meth:`for_field`).
    field: str = "label"

    @property
    def id(self) -> str:
        return f"{self.name}-v{self.version}"

    def for_field(self, field_name: str) -> Codebook:
        """The codebook of one coded field: ``"label"`` (itself) or ``"holder"``.

        The holder field's codebook has the holders as its (unordered) labels, so the same
        reading, agreement and adjudication code serves both fields.

        Examples
        --------
        >>> load_codebook("codebook-state-v1").for_field("holder").labels
        ('author', 'target', 'other', 'unclear')
        """
        if field_name == "label":
            return self
        if field_name != "holder" or not self.holders:
            accepted = ["label", "holder"] if self.holders else ["label"]
            raise ConfigError(f"codebook {self.id} has no coded field {field_name!r}; accepted: {accepted}")
        return Codebook(
            name=self.name, version=self.version, labels=self.holders,
            definitions=dict(self.holder_definitions), coding_unit=self.coding_unit,
            instructions=self.instructions, description=self.description, ordered=False,
            path=self.path, sha256=self.sha256, field="holder",
        )


def _codebook_values(path: Path, raw: Mapping[str, Any], key: str, minimum: int = 2) -> dict[str, str]:
    """``value -> definition`` of a ``[[key]]`` list of tables, checked (lower-case unique values)."""
    entries = raw.get(key)
    if not isinstance(entries, list) or len(entries) < minimum:
        raise ConfigError(
            f"codebook {path}: needs two or more [[{key}]] tables (value, definition); "
            f"got {entries!r:.80}"
        )
    definitions: dict[str, str] = {}
    for i, entry in enumerate(entries, start=1):
        value = entry.get("value") if isinstance(entry, dict) else None
        definition = entry.get("definition") if isinstance(entry, dict) else None
        if not isinstance(value, str) or not value.strip() or value != value.strip().lower():
            raise ConfigError(
                f"codebook {path}: {key}[{i}].value must be a non-empty lower-case string "
                f"without surrounding spaces; got {value!r}"
            )
        if value in definitions:
            raise ConfigError(f"codebook {path}: {key}[{i}].value {value!r} is repeated")
        if not isinstance(definition, str) or not definition.strip():
            raise ConfigError(f"codebook {path}: {key}[{i}] ({value!r}) needs a non-empty definition")
        definitions[value] = " ".join(definition.split())
    return definitions


def _codebook_rules(path: Path, raw: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    entries = raw.get("rules", [])
    if not isinstance(entries, list):
        raise ConfigError(f"codebook {path}: 'rules' must be a list of [[rules]] tables; got {entries!r:.80}")
    rules = []
    for i, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or set(entry) - {"name", "rule", "examples"}:
            raise ConfigError(
                f"codebook {path}: rules[{i}] must be a table with keys name, rule, examples; got {entry!r:.80}"
            )
        name, rule, examples = entry.get("name"), entry.get("rule"), entry.get("examples", [])
        if not isinstance(name, str) or not name.strip() or not isinstance(rule, str) or not rule.strip():
            raise ConfigError(f"codebook {path}: rules[{i}] needs a non-empty 'name' and 'rule'")
        if not isinstance(examples, list) or not all(isinstance(x, str) and x.strip() for x in examples):
            raise ConfigError(f"codebook {path}: rules[{i}] ({name!r}): 'examples' must be a list of strings")
        rules.append({"name": " ".join(name.split()), "rule": " ".join(rule.split()),
                      "examples": [" ".join(x.split()) for x in examples]})
    return tuple(rules)


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Read a codebook TOML file (default: the bundled ``codebook-stance-v1``).

    Parameters
    ----------
    path : path or str, optional
        A TOML file, or the name of a bundled codebook (``codebook-stance-v1``,
        ``codebook-state-v1``). The file has ``name``, ``version``, ``coding_unit``, optional
        ``instructions``, ``description``, ``ordered``, two or more ``[[labels]]`` tables, each
        with ``value`` (lower case, unique) and ``definition``; optionally two or more
        ``[[holders]]`` (a second coded field: who holds the stance), ``[[rules]]`` (``name``,
        ``rule``, ``examples``) and an ``[article]`` table (``unit``, ``instructions``) for
        article-level items. See ``framing/data/codebook-state-v1.toml``.

    Returns
    -------
    Codebook

    Raises
    ------
    ConfigError
        Missing file, invalid TOML, or a missing/invalid key; the message names the file and key.

    Examples
    --------
    >>> load_codebook().labels
    ('against', 'neutral', 'favor')
    >>> load_codebook("codebook-state-v1").holders
    ('author', 'target', 'other', 'unclear')
    """
    path = _codebook_file(DEFAULT_CODEBOOK if path is None else path)
    raw = datafolder.read_toml(path, error=ConfigError)

    def text(key: str, required: bool) -> str:
        value = raw.get(key, None if required else "")
        if not isinstance(value, str) or (required and not value.strip()):
            raise ConfigError(f"codebook {path}: key {key!r} must be a non-empty string; got {value!r}")
        return " ".join(value.split())

    name = text("name", True)
    version = raw.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ConfigError(f"codebook {path}: key 'version' must be a positive integer; got {version!r}")
    ordered = raw.get("ordered", False)
    if not isinstance(ordered, bool):
        raise ConfigError(f"codebook {path}: key 'ordered' must be true or false; got {ordered!r}")
    definitions = _codebook_values(path, raw, "labels", 2)
    labels = list(definitions)
    holder_definitions = _codebook_values(path, raw, "holders", 2) if "holders" in raw else {}
    article = raw.get("article", {})
    if not isinstance(article, dict) or set(article) - {"unit", "instructions"} or (
        article and not all(isinstance(v, str) and v.strip() for v in article.values())
    ):
        raise ConfigError(
            f"codebook {path}: [article] must be a table with non-empty strings 'unit' and "
            f"'instructions'; got {article!r:.80}"
        )
    known = {"name", "version", "description", "ordered", "coding_unit", "instructions", "labels",
             "holders", "rules", "article"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"codebook {path}: unknown keys {unknown}; accepted: {sorted(known)}")
    return Codebook(
        name=name,
        version=version,
        labels=tuple(labels),
        definitions=definitions,
        coding_unit=text("coding_unit", True),
        instructions=text("instructions", False),
        description=text("description", False),
        ordered=ordered,
        holders=tuple(holder_definitions),
        holder_definitions=holder_definitions,
        rules=_codebook_rules(path, raw),
        article_unit=" ".join(article.get("unit", "").split()),
        article_instructions=" ".join(article.get("instructions", "").split()),
        path=path,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
    )


def _codebook_file(name_or_path: str | Path) -> Path:
    """A codebook file: a bundled name (``framing/data/<name>.toml``) or a path."""
    if Path(name_or_path).is_file():
        return Path(name_or_path)  # a file, as given
    return datafolder.resolve(name_or_path, what="codebook", bundled=True, suffix=".toml",
                              error=ConfigError)
