"""Shared fixtures. Real corpora are found through one setting: ``$FRAMING_DATA`` (default ../shared)."""

from __future__ import annotations

from pathlib import Path

import pytest

from framing import config


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared data folder; tests that need it are skipped, loudly, when it is absent."""
    path = config.data_dir()
    if not path.is_dir():
        pytest.skip(f"shared data folder not found at {path} (set {config.DATA_ENV})")
    return path


@pytest.fixture(scope="session")
def seeds_dir(data_dir: Path) -> Path:
    return data_dir / "seeds"
