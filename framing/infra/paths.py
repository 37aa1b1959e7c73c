"""Where data, lexicons and models live: the folders every layer reads (environment variables,
a source checkout or an installed wheel) and the name-or-path resolution of lexicons and models."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import platformdirs

from framing.infra.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = PACKAGE_DIR.parent

#: Environment variable naming the folder with real corpora (seeds/, data/...).
DATA_ENV = "FRAMING_DATA"
#: Environment variable naming an alternative lexicons folder.
LEXICONS_ENV = "FRAMING_LEXICONS"
#: Environment variable naming the folder of trained models (one sub-folder per model).
MODELS_ENV = "FRAMING_MODELS"



def is_source_checkout() -> bool:
    """True when framing runs from a source checkout (``pyproject.toml`` and ``lexicons/`` beside
    the package, e.g. an editable install), False when it runs from an installed wheel."""
    return (PROJECT_DIR / "pyproject.toml").is_file() and (PROJECT_DIR / "lexicons").is_dir()


def user_dir() -> Path:
    """Return the per-user data folder of an installed framing (platformdirs), e.g.
    ``~/.local/share/framing`` on Linux. Nothing is ever written into the installation."""
    return Path(platformdirs.user_data_dir("framing", appauthor=False))


def data_dir() -> Path:
    """Return the folder holding real corpora.

    ``$FRAMING_DATA`` wins; then ``../shared`` beside a source checkout; an installed framing
    looks in ``<user data folder>/data`` (:func:`user_dir`), where a user may put or link corpora.
    """
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser().resolve()
    if is_source_checkout():
        return (PROJECT_DIR.parent / "shared").resolve()
    return user_dir() / "data"


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


def models_dir() -> Path:
    """Return the folder of trained models.

    ``$FRAMING_MODELS`` wins; then ``models/`` of a source checkout; an installed framing keeps
    them in ``<user data folder>/models`` (:func:`user_dir`), never inside the installation
    (which may not be writable). The folder may not exist yet: training creates it.
    """
    env = os.environ.get(MODELS_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return PROJECT_DIR / "models" if is_source_checkout() else user_dir() / "models"


def is_name(value: str | os.PathLike) -> bool:
    """Tell a bare name (``"targets-v1"``) from a path (``"lexicons/x"``, ``"./x"``, ``"~/x"``).

    Examples
    --------
    >>> is_name("framing-stance-v1"), is_name("./my-lexicon"), is_name("/tmp/model")
    (True, False, False)
    """
    if isinstance(value, Path):
        return False
    text = os.fspath(value)
    return bool(text) and len(Path(text).parts) == 1 and not text.startswith((".", "~"))


def resolve_model(name_or_path: str | os.PathLike) -> Path:
    """Return the folder of a trained model given its name (under :func:`models_dir`) or a path.

    Parameters
    ----------
    name_or_path : str or path
        A bare name such as ``"stance-minilm-v1"`` looks in :func:`models_dir`; anything with a
        path separator, a leading ``.``/``~``, or a ``Path`` object is a folder path.

    Returns
    -------
    Path
        The model folder, absolute.

    Raises
    ------
    ConfigError
        The folder does not exist; the message lists the models that do.

    Examples
    --------
    >>> resolve_model("stance-minilm-v1")  # doctest: +SKIP
    PosixPath('/home/me/framing/models/stance-minilm-v1')
    """
    return _resolve_folder(name_or_path, "model", models_dir(), MODELS_ENV)


def lexicon_folder(name_or_path: str | os.PathLike) -> Path:
    """Return a lexicon folder given its name (under :func:`lexicons_dir`) or a path.

    As :func:`resolve_model`, for lexicons: a bare name such as ``"targets-v1"`` or a folder path
    gives the absolute folder; a ConfigError lists the lexicons there when it does not exist.

    Examples
    --------
    >>> lexicon_folder("targets-v1").name
    'targets-v1'
    """
    try:
        root = lexicons_dir()
    except FileNotFoundError as err:
        raise ConfigError(str(err)) from None
    return _resolve_folder(name_or_path, "lexicon", root, LEXICONS_ENV)


def _resolve_folder(name_or_path: str | os.PathLike, what: str, root: Path, env: str) -> Path:
    if not os.fspath(name_or_path):
        raise ConfigError(f"no {what} given; give a {what} name under {root} or a folder path")
    if not is_name(name_or_path):
        folder = Path(name_or_path).expanduser().resolve()
        if not folder.is_dir():
            raise ConfigError(f"{what} folder not found: {folder}")
        return folder
    folder = root / os.fspath(name_or_path)
    if folder.is_dir():
        return folder
    if not root.is_dir():
        raise ConfigError(
            f"no {what} {os.fspath(name_or_path)!r}: the {what}s folder {root} does not exist "
            f"(set {env}, or give a folder path)"
        )
    available = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    hint = _did_you_mean(os.fspath(name_or_path), available)
    raise ConfigError(
        f"no {what} {os.fspath(name_or_path)!r} in {root}{hint}; available: "
        f"{', '.join(available) or '(none)'} (set {env} for another folder, or give a folder path)"
    )


def _did_you_mean(key: str, candidates: list[str] | tuple[str, ...]) -> str:
    match = difflib.get_close_matches(key, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {match[0]}?" if match else ""
