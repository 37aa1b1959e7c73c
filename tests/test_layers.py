"""The package's folders are its data flow, and imports run one way: down.

``infra`` (paths, errors, table I/O, the pool) is the ground floor; then ``text`` (cleaning,
language, sentences, mentions), ``corpus`` (files to articles), ``lexicon``, ``stance`` (scores),
``analysis`` (statistics, events, plots), ``report``, ``runs`` (configs, run folders, pipeline),
``annotate``; the command line and the public API sit on top. A module may import its own
package and any package below it, never one above, not even inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import framing

PACKAGE = Path(framing.__file__).parent
#: Lowest first. Top-level modules (cli, api) are above every package.
LAYERS = ("infra", "text", "corpus", "lexicon", "stance", "analysis", "report", "runs", "annotate")


def _layer(dotted: str) -> int:
    first = dotted.split(".")[0]
    return LAYERS.index(first) if first in LAYERS else len(LAYERS)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, dotted module inside framing) for every import of framing in ``path``, at any depth."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "framing":
                # ``from framing import __version__`` reads the package root, which imports nothing
                found += [(node.lineno, a.name) for a in node.names if a.name != "__version__"]
            elif node.module.startswith("framing."):
                found.append((node.lineno, node.module.partition(".")[2]))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name.partition(".")[2]) for a in node.names if a.name.startswith("framing.")]
    return found


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_lives_in_a_layer_package_or_on_top():
    loose = sorted(
        p.name for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__", "api", "cli")
    )
    assert loose == [], f"modules outside the layer packages: {loose}"
    packages = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    assert packages == sorted(LAYERS)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_imports_run_down_never_up(path):
    dotted = path.relative_to(PACKAGE).with_suffix("").as_posix().replace("/", ".")
    own = _layer(dotted)
    upward = [
        f"line {line}: {module}" for line, module in _imports(path) if module and _layer(module) > own
    ]
    assert upward == [], f"{dotted} ({LAYERS[own] if own < len(LAYERS) else 'top'}) imports upward: {upward}"


def test_the_layer_check_sees_an_upward_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from framing.runs import config\n    from framing import __version__\n")
    assert _imports(bad) == [(2, "runs")]
    assert _layer("runs") > _layer("infra.paths")
