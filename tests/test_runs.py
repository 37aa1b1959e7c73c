"""Run folders, atomic writes, hashes, cached stages and manifests."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from framing.infra.errors import DataError
from framing.runs import config
from framing.runs import folders as runs
from framing.runs.config import load_config
from framing.runs.folders import Run, safe_name


@pytest.fixture
def cfg_path(tmp_path: Path) -> Path:
    folder = tmp_path / "exp"
    folder.mkdir()
    (folder / "articles.jsonl").write_text('{"id": "a1", "text": "One."}\n', encoding="utf-8")
    path = folder / "demo.toml"
    path.write_text('seed = 5\n[corpus]\ninputs = ["articles.jsonl"]\n', encoding="utf-8")
    return path


@pytest.fixture
def cfg(cfg_path: Path) -> config.ExperimentConfig:
    return load_config(cfg_path)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "runs"


def table(n: int = 3) -> pd.DataFrame:
    return pd.DataFrame({"article_id": [f"a{i}" for i in range(n)], "score": np.linspace(-1, 1, n)})


class Counter:
    """A stage function that counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, articles: pd.DataFrame, scale: float = 1.0) -> pd.DataFrame:
        self.calls += 1
        return articles.assign(scaled=articles["score"] * scale)


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --------------------------------------------------------------------------------------------
# Names and atomic writes


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../x", "_.._x"),
        ("..", "_"),
        ("", "_"),
        (".hidden", "hidden"),
        ("EU Japan/2023", "EU_Japan_2023"),
        ("a\\b", "a_b"),
        ("NUL", "_NUL"),
        ("run-1.v2", "run-1.v2"),
    ],
)
def test_safe_name_examples(name, expected):
    assert safe_name(name) == expected


@given(st.text(max_size=300))
def test_safe_name_is_one_component_inside_root(name):
    root = Path("/srv/reports/runs")
    safe = safe_name(name)
    assert safe not in ("", ".", "..")
    assert "/" not in safe and "\\" not in safe and not safe.startswith(".")
    assert len(safe) <= runs.MAX_NAME
    assert safe_name(safe) == safe
    assert (root / safe).resolve().parent == root.resolve()


def test_a_hostile_experiment_name_stays_inside_root(cfg, root):
    evil = dataclasses.replace(cfg, name="../../../etc")
    run = Run.open(evil, root=root, run_id="../x")
    assert run.path.resolve().is_relative_to(root.resolve())
    assert run.path == root.resolve() / "_.._.._etc" / "_x"
    assert run.file("..", "a/b.pdf").resolve().is_relative_to(run.path)


def test_atomic_writes_leave_no_temporary_files(tmp_path):
    runs.write_table(table(), tmp_path / "t.parquet")
    runs.write_table(table(), tmp_path / "t.csv")
    runs.write_json({"b": 1, "a": [1, 2]}, tmp_path / "m.json")
    runs.write_text("hello\n", tmp_path / "x.txt")
    assert files_in(tmp_path) == ["m.json", "t.csv", "t.parquet", "x.txt"]
    assert (tmp_path / "m.json").read_text(
        encoding="utf-8"
    ) == '{\n  "a": [\n    1,\n    2\n  ],\n  "b": 1\n}\n'


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path):
    path = runs.write_table(table(2), tmp_path / "t.parquet")
    bad = pd.DataFrame({"x": [object()]})  # pyarrow cannot write arbitrary objects
    with pytest.raises(Exception):  # noqa: B017 - pyarrow's own error type
        runs.write_table(bad, path)
    assert files_in(tmp_path) == ["t.parquet"]
    pd.testing.assert_frame_equal(runs.read_table(path), table(2))


def test_read_table_names_the_file_and_missing_columns(tmp_path):
    path = runs.write_table(table(), tmp_path / "t.csv")
    with pytest.raises(
        DataError, match=r"t.csv does not look like a sentences table: missing columns"
    ):
        runs.read_table(path, kind="sentences")
    (tmp_path / "broken.parquet").write_bytes(b"not parquet")
    with pytest.raises(DataError, match="cannot read table .*broken.parquet"):
        runs.read_table(tmp_path / "broken.parquet")


# --------------------------------------------------------------------------------------------
# Hashes


def test_file_sha256_is_the_plain_digest(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc" * 1000)
    assert runs.file_sha256(path) == hashlib.sha256(b"abc" * 1000).hexdigest()


def test_folder_sha256_is_stable_and_content_sensitive(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for folder, order in ((a, ["x.txt", "sub/y.txt"]), (b, ["sub/y.txt", "x.txt"])):
        for name in order:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(name, encoding="utf-8")
    assert runs.folder_sha256(a) == runs.folder_sha256(b)  # creation order does not matter
    (a / ".git").mkdir()
    (a / ".git" / "HEAD").write_text("ignored", encoding="utf-8")
    (a / "__pycache__").mkdir()
    (a / "__pycache__" / "x.pyc").write_bytes(b"\0")
    assert runs.folder_sha256(a) == runs.folder_sha256(b)  # hidden files and caches ignored
    (b / "x.txt").write_text("changed", encoding="utf-8")
    assert runs.folder_sha256(a) != runs.folder_sha256(b)
    (b / "x.txt").rename(b / "z.txt")
    (b / "z.txt").write_text("x.txt", encoding="utf-8")
    assert runs.folder_sha256(a) != runs.folder_sha256(b)  # names count, not only contents


def test_folder_sha256_equals_the_target_set_digest():
    from framing.text import targets

    folder = config.lexicon_folder("targets-v1")
    assert runs.folder_sha256(folder) == targets.load_targets(folder).sha256


def test_table_sha256_values_order_and_parquet_round_trip(tmp_path):
    frame = pd.DataFrame(
        {
            "article_id": ["a", "b"],
            "spans": [[[0, 2], [5, 7]], [[1, 3]]],
            "evidence": [[{"sent_id": 1, "terms": ["x"]}], []],
            "score": [0.5, np.nan],
        }
    )
    digest = runs.table_sha256(frame)
    back = runs.read_table(runs.write_table(frame, tmp_path / "t.parquet"))
    assert isinstance(back["spans"].iloc[0], np.ndarray)  # parquet returns arrays ...
    assert runs.table_sha256(back) == digest  # ... which hash like the lists they were
    assert runs.table_sha256(frame.set_axis([10, 20])) == digest  # the index is ignored
    assert runs.table_sha256(frame.iloc[::-1]) != digest
    assert runs.table_sha256(frame.assign(score=[0.5, 0.0])) != digest
    assert runs.table_sha256(frame.rename(columns={"score": "s"})) != digest


def test_input_sha256_kinds(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("x", encoding="utf-8")
    assert runs.input_sha256(path) == runs.file_sha256(path)
    assert runs.input_sha256(tmp_path) == runs.folder_sha256(tmp_path)
    assert runs.input_sha256([path]) != runs.input_sha256([tmp_path])
    assert runs.input_sha256("a.txt") != runs.input_sha256(path)  # a string is a value
    with pytest.raises(DataError, match="input not found"):
        runs.input_sha256(tmp_path / "missing.txt")
    with pytest.raises(TypeError, match="cannot be hashed"):
        runs.input_sha256(object())


# --------------------------------------------------------------------------------------------
# Run folders


def test_run_folder_is_stable_for_the_same_config_and_differs_for_another(cfg_path, root):
    first = Run.open(load_config(cfg_path), root=root)
    again = Run.open(load_config(cfg_path), root=root)
    assert (
        first.path == again.path == root.resolve() / "demo" / runs.config_id(load_config(cfg_path))
    )
    assert len(first.run_id) == runs.RUN_ID_CHARS
    other = Run.open(dataclasses.replace(load_config(cfg_path), seed=6), root=root)
    assert other.path != first.path and other.path.parent == first.path.parent
    assert (first.path / runs.CONFIG_COPY).read_text(encoding="utf-8") == cfg_path.read_text(
        encoding="utf-8"
    )


def test_run_id_ignores_where_the_config_file_lives(cfg, tmp_path):
    moved = dataclasses.replace(cfg, source=tmp_path / "elsewhere.toml")
    assert runs.config_id(moved) == runs.config_id(cfg)


def test_set_seed_seeds_random_and_numpy(cfg, root):
    run = Run.open(cfg, root=root)
    assert run.set_seed(seed_torch=False) == ["random", "numpy"]
    drawn = (random.random(), np.random.random())
    run.set_seed(seed_torch=False)
    assert (random.random(), np.random.random()) == drawn


# --------------------------------------------------------------------------------------------
# Cached stages


def test_a_stage_runs_once_then_is_cached(cfg, root):
    count = Counter()
    run = Run.open(cfg, root=root)
    first = run.stage("scaled", {"articles": table()}, count, settings={"scale": 2.0})
    second = run.stage("scaled", {"articles": table()}, count, settings={"scale": 2.0})
    assert count.calls == 1
    pd.testing.assert_frame_equal(first, second)
    assert first["scaled"].tolist() == [-2.0, 0.0, 2.0]
    reopened = Run.open(cfg, root=root)  # a new process sees the same cache
    reopened.stage("scaled", {"articles": table()}, count, settings={"scale": 2.0})
    assert count.calls == 1
    assert files_in(run.path) == [runs.CONFIG_COPY, "scaled.parquet", runs.STAGES_FILE]


def test_force_and_changed_inputs_or_settings_rerun(cfg, root):
    count = Counter()
    run = Run.open(cfg, root=root)
    run.stage("scaled", {"articles": table()}, count)
    run.stage("scaled", {"articles": table()}, count, force=True)
    assert count.calls == 2
    out = run.stage("scaled", {"articles": table(4)}, count)
    assert count.calls == 3 and len(out) == 4
    run.stage("scaled", {"articles": table(4)}, count, settings={"scale": 3.0})
    assert count.calls == 4
    run.stage("scaled", {"articles": table(4)}, count, settings={"scale": 3.0})
    assert count.calls == 4


def test_a_changed_input_file_reruns(cfg, root, tmp_path):
    path = tmp_path / "in.csv"
    table(2).to_csv(path, index=False)
    calls = []

    def load(source: Path) -> pd.DataFrame:
        calls.append(source)
        return pd.read_csv(source)

    run = Run.open(cfg, root=root)
    assert len(run.stage("loaded", {"source": path}, load)) == 2
    assert len(run.stage("loaded", {"source": path}, load)) == 2
    table(5).to_csv(path, index=False)
    assert len(run.stage("loaded", {"source": path}, load)) == 5
    assert len(calls) == 2


def test_a_tampered_output_is_recomputed(cfg, root):
    count = Counter()
    run = Run.open(cfg, root=root)
    run.stage("scaled", {"articles": table()}, count)
    runs.write_table(table(1), run.path / "scaled.parquet")
    out = run.stage("scaled", {"articles": table()}, count)
    assert count.calls == 2 and len(out) == 3


def test_a_stage_with_several_tables(cfg, root):
    calls = []

    def split(articles: pd.DataFrame) -> dict[str, pd.DataFrame]:
        calls.append(1)
        return {"neg": articles[articles.score < 0], "pos": articles[articles.score > 0]}

    run = Run.open(cfg, root=root)
    out = run.stage("parts", {"articles": table(5)}, split)
    again = run.stage("parts", {"articles": table(5)}, split)
    assert len(calls) == 1
    assert list(out) == list(again) == ["neg", "pos"]
    assert (len(again["neg"]), len(again["pos"])) == (2, 2)
    assert {"parts.neg.parquet", "parts.pos.parquet"} <= set(files_in(run.path))


def test_runtime_arguments_reach_the_stage_but_not_its_key(cfg, root):
    """runtime= (e.g. progress) is passed to the stage function and leaves the cache key alone."""
    seen = []

    def scale(articles: pd.DataFrame, *, factor: int, progress: bool = False) -> pd.DataFrame:
        seen.append(progress)
        return articles.assign(score=articles.score * factor)

    run = Run.open(cfg, root=root)
    first = run.stage("scaled", {"articles": table(4)}, scale, settings={"factor": 2},
                      runtime={"progress": True})
    again = run.stage("scaled", {"articles": table(4)}, scale, settings={"factor": 2},
                      runtime={"progress": False})
    assert seen == [True]  # the second call was cached: same key whatever progress says
    pd.testing.assert_frame_equal(first, again)


def test_stage_misuse_is_reported(cfg, root):
    run = Run.open(cfg, root=root)
    with pytest.raises(ValueError, match="not a safe file name"):
        run.stage("../up", {}, lambda: table())
    with pytest.raises(TypeError, match="returned list"):
        run.stage("bad", {}, lambda: [table()])
    with pytest.raises(ValueError, match="given twice"):
        run.stage("twice", {"articles": table()}, Counter(), settings={"articles": 1})
    with pytest.raises(ValueError, match="given twice"):
        run.stage("twice", {"articles": table()}, Counter(), runtime={"articles": 1})
    with pytest.raises(TypeError, match="settings must be JSON-serialisable"):
        run.stage("opts", {"articles": table()}, Counter(), settings={"scale": object()})


# --------------------------------------------------------------------------------------------
# Manifests


MANIFEST_KEYS = {
    "manifest_format",
    "model",
    "experiment",
    "run_id",
    "run_dir",
    "config",
    "config_file",
    "command_line",
    "git",
    "versions",
    "framing_version",
    "code_sha256",
    "platform",
    "seed",
    "seeded",
    "inputs",
    "stages",
    "counts",
    "timings",
}


def test_manifest_contents(cfg, cfg_path, root):
    run = Run.open(cfg, root=root, command_line=["framing", "run", "demo.toml"])
    run.set_seed(seed_torch=False)
    run.stage("scaled", {"articles": table()}, Counter(), settings={"scale": 2.0})
    manifest = json.loads(
        run.write_manifest(counts={"n_articles": np.int64(3)}).read_text(encoding="utf-8")
    )
    assert set(manifest) == MANIFEST_KEYS
    assert manifest["config"] == cfg.to_dict()
    assert manifest["command_line"] == ["framing", "run", "demo.toml"]
    assert manifest["seed"] == 5 and manifest["seeded"] == ["random", "numpy"]
    assert set(manifest["git"]) == {"sha", "dirty"}
    versions = manifest["versions"]
    assert {
        "python",
        "framing",
        "torch",
        "transformers",
        "pandas",
        "numpy",
        "scikit-learn",
        "nltk",
    } <= set(versions)
    assert versions["pandas"] == pd.__version__
    corpus_file = (cfg_path.parent / "articles.jsonl").resolve()
    assert manifest["inputs"]["corpus.inputs"] == {
        corpus_file.as_posix(): runs.file_sha256(corpus_file)
    }
    lexicon = config.lexicon_folder("framing-stance-v1")
    assert manifest["inputs"]["scoring.lexicon"] == {
        lexicon.as_posix(): runs.folder_sha256(lexicon)
    }
    assert "scoring.model" not in manifest["inputs"]  # lexicon scoring uses no model
    assert manifest["model"] is None
    assert manifest["config_file"]["sha256"] == runs.file_sha256(cfg_path)
    stage = manifest["stages"]["scaled"]
    assert stage["settings"] == {"scale": 2.0}
    assert stage["outputs"]["scaled"]["rows"] == 3
    assert stage["outputs"]["scaled"]["sha256"] == runs.file_sha256(run.path / "scaled.parquet")
    assert manifest["counts"] == {"n_articles": 3, "rows": {"scaled.parquet": 3}}
    assert set(manifest["timings"]["stages"]["scaled"]) == {"seconds", "cached"}


def test_manifest_is_the_same_on_rerun_apart_from_timings(cfg, root):
    contents = []
    for _ in range(2):
        run = Run.open(cfg, root=root, command_line=["framing", "run"])
        run.set_seed(seed_torch=False)
        run.stage("scaled", {"articles": table()}, Counter())
        contents.append(json.loads(run.write_manifest().read_text(encoding="utf-8")))
    assert [m["timings"]["stages"]["scaled"]["cached"] for m in contents] == [False, True]
    for manifest in contents:
        del manifest["timings"]
    assert contents[0] == contents[1]


def test_model_scoring_records_the_model_folder(cfg, root, tmp_path, monkeypatch):
    model = tmp_path / "models" / "stance-v1"
    model.mkdir(parents=True)
    (model / "config.json").write_text("{}", encoding="utf-8")
    monkeypatch.setenv(config.MODELS_ENV, str(model.parent))
    scored = dataclasses.replace(
        cfg, scoring=config.ScoringConfig(method="model", model="stance-v1")
    )
    hashes = Run.open(scored, root=root).input_hashes()
    assert hashes["scoring.model"] == {model.resolve().as_posix(): runs.folder_sha256(model)}


def test_git_state_outside_a_checkout_is_unknown(tmp_path):
    assert runs.git_state(tmp_path) == {"sha": "unknown", "dirty": "unknown"}


def test_git_state_of_a_checkout(tmp_path):
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(tmp_path), *args], capture_output=True, text=True, check=True
        ).stdout

    try:
        git("init", "-q")
        (tmp_path / "a.txt").write_text("a", encoding="utf-8")
        git("add", "a.txt")
        git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "a")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("git is not available")
    state = runs.git_state(tmp_path)
    assert state == {"sha": git("rev-parse", "HEAD").strip(), "dirty": False}
    (tmp_path / "a.txt").write_text("b", encoding="utf-8")
    assert runs.git_state(tmp_path)["dirty"] is True
    (tmp_path / "sub").mkdir()
    assert runs.git_state(tmp_path / "sub")["sha"] == "unknown"  # not the top of the checkout


def test_lexicon_runs_never_import_torch(cfg_path, tmp_path):
    script = f"""
import sys
from framing.runs.config import load_config
from framing.runs.folders import Run
run = Run.open(load_config({str(cfg_path)!r}), root={str(tmp_path / "runs")!r})
assert run.set_seed() == ["random", "numpy"], run.set_seed()
run.write_manifest()
assert "torch" not in sys.modules
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_stage_code_keys_follow_imports_only():
    from framing.runs.folders import _framing_imports, modules_sha256

    scoring_imports = _framing_imports(config.PACKAGE_DIR / "stance" / "scoring.py")
    assert "lexicon.folder" in scoring_imports
    assert not any(name.startswith("report") for name in scoring_imports)
    assert modules_sha256(("corpus.loading",)) != modules_sha256(("stance.scoring",))
    assert modules_sha256(("corpus.loading",)) == modules_sha256(("corpus.loading",))
