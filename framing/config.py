"""Settings that locate data: the shared data folder, lexicons, the bundled demo corpus.

One setting points the toolkit at real data: the environment variable ``FRAMING_DATA``
(default: the folder ``shared`` beside the project root, i.e. ``../shared``). Experiment
configs (TOML, see ``experiments/``) may override it with their own ``data_dir`` key.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent

#: Environment variable naming the folder with real corpora (seeds/, data/...).
DATA_ENV = "FRAMING_DATA"
#: Environment variable naming an alternative lexicons folder.
LEXICONS_ENV = "FRAMING_LEXICONS"


def data_dir() -> Path:
    """Return the folder holding real corpora (``$FRAMING_DATA`` or ``../shared``)."""
    env = os.environ.get(DATA_ENV)
    return Path(env).expanduser().resolve() if env else (PROJECT_DIR.parent / "shared").resolve()


def lexicons_dir() -> Path:
    """Return the folder of versioned lexicons.

    ``$FRAMING_LEXICONS`` wins; then ``lexicons/`` of a source checkout (editable install);
    then the copy packed into an installed wheel as ``framing/_lexicons``.
    """
    env = os.environ.get(LEXICONS_ENV)
    if env:
        return Path(env).expanduser().resolve()
    for candidate in (PROJECT_DIR / "lexicons", PACKAGE_DIR / "_lexicons"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"no lexicons folder found: looked in {PROJECT_DIR / 'lexicons'} and "
        f"{PACKAGE_DIR / '_lexicons'}; set {LEXICONS_ENV} to a folder of lexicons"
    )


def demo_corpus_path() -> Path:
    """Return the bundled demo corpus (written for this project, shipped in the package)."""
    return PACKAGE_DIR / "data" / "demo"
