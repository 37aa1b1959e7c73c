"""Threads: how many torch uses, and that idle OpenMP threads sleep instead of spinning."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from framing.infra.errors import ConfigError
from framing.infra.pool import available_cores
from framing.infra.threads import THREADS_ENV, WAIT_POLICY_ENV, torch_threads


def test_requested_then_environment_then_all_cores(monkeypatch):
    monkeypatch.delenv(THREADS_ENV, raising=False)
    assert torch_threads() == available_cores()
    monkeypatch.setenv(THREADS_ENV, "1")
    assert torch_threads() == 1
    assert torch_threads(3) == 3  # an explicit request wins over the environment


@pytest.mark.parametrize("bad", ["0", "-2", "two", "1.5"])
def test_a_bad_environment_value_is_a_clear_error(monkeypatch, bad):
    monkeypatch.setenv(THREADS_ENV, bad)
    with pytest.raises(ConfigError, match=THREADS_ENV):
        torch_threads()


@pytest.mark.parametrize("bad", [0, -1, True, 1.5])
def test_a_bad_request_is_a_clear_error(bad):
    with pytest.raises(ConfigError, match="positive integer"):
        torch_threads(bad)


def _policy_after_import(env: dict[str, str]) -> str:
    script = "import os, framing; print(os.environ.get('OMP_WAIT_POLICY', ''))"
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_importing_framing_makes_idle_threads_sleep_unless_the_user_chose():
    env = {k: v for k, v in os.environ.items() if k != WAIT_POLICY_ENV}
    assert _policy_after_import(env) == "PASSIVE"
    assert _policy_after_import({**env, WAIT_POLICY_ENV: "ACTIVE"}) == "ACTIVE"


def test_the_threads_option_reaches_every_command(monkeypatch):
    from framing.cli import main

    monkeypatch.delenv(THREADS_ENV, raising=False)
    seen = {}

    @main.command("probe-threads")
    def probe() -> None:
        seen["threads"] = torch_threads()

    try:
        result = CliRunner().invoke(main, ["--threads", "1", "probe-threads"])
        assert result.exit_code == 0, result.output
        assert seen["threads"] == 1
        bad = CliRunner().invoke(main, ["--threads", "0", "probe-threads"])
        assert bad.exit_code == 2 and "--threads" in bad.output
    finally:
        main.commands.pop("probe-threads", None)
        os.environ.pop(THREADS_ENV, None)
