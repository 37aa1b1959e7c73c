"""Settings: folders, experiment configs read from TOML, validation messages."""

from __future__ import annotations

import dataclasses
import json
import pickle
from pathlib import Path

import pytest

from framing.infra import paths
from framing.infra.errors import ConfigError
from framing.runs import config
from framing.runs.config import (
    CompareConfig,
    CorpusConfig,
    ExperimentConfig,
    ReportConfig,
    ScoringConfig,
    TargetsConfig,
    load_config,
)

FULL = """\
name = "eu_japan_2023"
seed = 13
description = "EU-Japan summit coverage"
data_dir = "data"

[corpus]
inputs = ["{data_dir}/articles.jsonl", "more"]
format = "jsonl"
metadata = "meta.csv"
languages = ["en", "nl"]

[corpus.columns]
outlet = "source"
text = "body"

[corpus.extra]
leaning = "bias_text"

[targets]
lexicon = "targets-v1"
extra = ["extra_targets"]
kinds = ["name", "short_name"]

[scoring]
method = "lexicon"
lexicon = "framing-stance-v1"
neutral_band = 0.2

[compare]
by = ["outlet", "leaning"]
n_boot = 500
n_perm = 999
min_n = 3
ci = 0.9
test = "mannwhitney"

[report]
title = "EU and Japan"
figures = ["heatmap", "forest"]
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A config folder with the files FULL names."""
    folder = tmp_path / "exp"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "articles.jsonl").write_text('{"text": "x"}\n', encoding="utf-8")
    (folder / "more").mkdir()
    (folder / "meta.csv").write_text("file,outlet\n", encoding="utf-8")
    (folder / "extra_targets").mkdir()
    return folder


def write(folder: Path, text: str, name: str = "x.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def minimal(folder: Path, extra: str = "", top: str = "") -> Path:
    """A config with a seed, one input file, and ``extra`` appended (``top`` before the tables)."""
    (folder / "a.txt").write_text("Some text.\n", encoding="utf-8")
    seed = "" if top.startswith("seed") else "seed = 1"
    return write(folder, f'{seed}\n{top}\n[corpus]\ninputs = ["a.txt"]\n{extra}')


# --------------------------------------------------------------------------------------------
# Folders (the settings that existed before experiment configs)


def test_data_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(config.DATA_ENV, str(tmp_path))
    assert config.data_dir() == tmp_path.resolve()
    monkeypatch.delenv(config.DATA_ENV)
    assert config.data_dir() == (config.PROJECT_DIR.parent / "shared").resolve()


def test_lexicons_and_demo_folders_exist():
    assert (config.lexicons_dir() / "targets-v1" / "meta.toml").is_file()
    assert (config.demo_corpus_path() / "articles.jsonl").is_file()


def test_models_dir_default_and_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(config.MODELS_ENV, raising=False)
    assert config.models_dir() == config.PROJECT_DIR / "models"
    monkeypatch.setenv(config.MODELS_ENV, str(tmp_path))
    assert config.models_dir() == tmp_path.resolve()


def test_an_installed_framing_keeps_models_and_data_in_the_user_folder(monkeypatch, tmp_path):
    """Run from a wheel (no pyproject.toml beside the package), nothing goes into site-packages."""
    site = tmp_path / "site-packages"
    (site / "framing").mkdir(parents=True)
    assert config.is_source_checkout()
    monkeypatch.setattr(paths, "PROJECT_DIR", site)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "user"))
    for env in (config.MODELS_ENV, config.DATA_ENV):
        monkeypatch.delenv(env, raising=False)
    assert not config.is_source_checkout()
    assert config.user_dir() == tmp_path / "user" / "framing"
    assert config.models_dir() == tmp_path / "user" / "framing" / "models"
    assert config.data_dir() == tmp_path / "user" / "framing" / "data"
    assert site not in config.models_dir().parents
    monkeypatch.setenv(config.MODELS_ENV, str(tmp_path / "mine"))
    monkeypatch.setenv(config.DATA_ENV, str(tmp_path / "corpora"))
    assert config.models_dir() == (tmp_path / "mine").resolve()
    assert config.data_dir() == (tmp_path / "corpora").resolve()


def test_resolve_model_by_name_and_path(monkeypatch, tmp_path):
    (tmp_path / "stance-a").mkdir()
    (tmp_path / "stance-b").mkdir()
    monkeypatch.setenv(config.MODELS_ENV, str(tmp_path))
    assert config.resolve_model("stance-a") == tmp_path.resolve() / "stance-a"
    assert config.resolve_model(tmp_path / "stance-b") == (tmp_path / "stance-b").resolve()
    with pytest.raises(ConfigError) as err:
        config.resolve_model("stance-c")
    message = str(err.value)
    assert "'stance-c'" in message and "available: stance-a, stance-b" in message
    with pytest.raises(ConfigError, match="model folder not found"):
        config.resolve_model(tmp_path / "nowhere")


def test_resolve_model_when_the_models_folder_is_missing(monkeypatch, tmp_path):
    monkeypatch.setenv(config.MODELS_ENV, str(tmp_path / "absent"))
    with pytest.raises(ConfigError, match=f"does not exist.*{config.MODELS_ENV}"):
        config.resolve_model("stance-a")


def test_lexicon_folder_suggests_the_closest_name():
    assert config.lexicon_folder("targets-v1") == config.lexicons_dir() / "targets-v1"
    with pytest.raises(ConfigError, match="did you mean targets-v1"):
        config.lexicon_folder("targets-v2")


def test_resolve_lexicon_is_a_deprecated_alias_of_lexicon_folder():
    with pytest.warns(DeprecationWarning, match="lexicon_folder"):
        assert config.resolve_lexicon("targets-v1") == config.lexicon_folder("targets-v1")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("targets-v1", True), ("./targets-v1", False), ("a/b", False), ("~/x", False), ("", False)],
)
def test_is_name(value, expected):
    assert config.is_name(value) is expected


# --------------------------------------------------------------------------------------------
# Loading: values, defaults, paths, placeholders


def test_full_config_values(project):
    cfg = load_config(write(project, FULL))
    base = project.resolve()
    assert cfg.name == "eu_japan_2023" and cfg.seed == 13
    assert cfg.data_dir == base / "data"
    assert cfg.corpus == CorpusConfig(
        inputs=(base / "data" / "articles.jsonl", base / "more"),
        format="jsonl",
        metadata=base / "meta.csv",
        languages=("en", "nl"),
        columns=config.FrozenDict(outlet="source", text="body"),
        extra=config.FrozenDict(leaning="bias_text"),
    )
    assert cfg.targets == TargetsConfig(
        "targets-v1", (base / "extra_targets",), ("name", "short_name")
    )
    assert cfg.scoring == ScoringConfig("lexicon", "framing-stance-v1", "", 0.2)
    assert cfg.compare == CompareConfig(("outlet", "leaning"), 500, 999, 3, 0.9, "mannwhitney")
    assert cfg.report == ReportConfig("EU and Japan", ("heatmap", "forest"))
    assert cfg.source == (project / "x.toml").resolve()


def test_round_trip_through_to_dict(project):
    cfg = load_config(write(project, FULL))
    data = cfg.to_dict()
    assert json.loads(json.dumps(data)) == data  # plain JSON types only
    assert "source" not in data
    assert data["corpus"]["inputs"][0] == (project.resolve() / "data" / "articles.jsonl").as_posix()
    again = ExperimentConfig.from_dict(data)
    assert again == cfg
    assert again.to_dict() == data
    assert hash(again) == hash(cfg)


def test_configs_pickle_and_are_frozen(project):
    cfg = load_config(write(project, FULL))
    assert pickle.loads(pickle.dumps(cfg)) == cfg
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.seed = 2  # type: ignore[misc]
    with pytest.raises(TypeError, match="frozen"):
        cfg.corpus.columns["outlet"] = "publisher"
    assert cfg.corpus.columns["outlet"] == "source"


def test_defaults_and_name_from_the_file(tmp_path):
    cfg = load_config(minimal(tmp_path))
    assert cfg.name == "x"
    assert cfg.data_dir == config.data_dir()
    assert (cfg.targets, cfg.scoring, cfg.compare) == (
        TargetsConfig(),
        ScoringConfig(),
        CompareConfig(),
    )
    assert (
        cfg.corpus.languages == ("en", "nl")
        and cfg.corpus.format == ""
        and cfg.corpus.metadata is None
    )
    assert cfg.report.title == "x"  # an empty title means the experiment name
    assert cfg.report.figures == config.REPORT_FIGURES


def test_relative_paths_start_at_the_config_folder_not_the_working_directory(tmp_path, monkeypatch):
    folder = tmp_path / "configs"
    folder.mkdir()
    minimal(folder)
    monkeypatch.chdir(tmp_path)
    cfg = load_config(Path("configs") / "x.toml")
    assert cfg.corpus.inputs == (folder.resolve() / "a.txt",)


def test_placeholders_expand(tmp_path, monkeypatch):
    (tmp_path / "corpora").mkdir()
    (tmp_path / "corpora" / "a.csv").write_text("text\nx\n", encoding="utf-8")
    monkeypatch.setenv("MY_CORPORA", str(tmp_path / "corpora"))
    path = write(
        tmp_path,
        'seed = 1\ndata_dir = "${MY_CORPORA}"\n[corpus]\ninputs = ["{data_dir}/a.csv", "{config_dir}/corpora"]\n'
        '[scoring]\nlexicon = "{project_dir}/lexicons/framing-stance-v1"\n',
    )
    cfg = load_config(path)
    corpora = (tmp_path / "corpora").resolve()
    assert cfg.data_dir == corpora
    assert cfg.corpus.inputs == (corpora / "a.csv", corpora)
    assert cfg.scoring.lexicon == str(config.PROJECT_DIR / "lexicons" / "framing-stance-v1")


def test_framing_data_placeholder_falls_back_to_the_default(tmp_path, monkeypatch):
    monkeypatch.delenv(config.DATA_ENV, raising=False)
    cfg = load_config(minimal(tmp_path, top='data_dir = "${FRAMING_DATA}"'))
    assert cfg.data_dir == config.data_dir()


def test_seeds_config_on_the_shared_data(tmp_path, data_dir):
    path = write(
        tmp_path,
        'seed = 7\ndata_dir = "${FRAMING_DATA}"\n[corpus]\ninputs = ["{data_dir}/seeds"]\n',
    )
    cfg = load_config(path)
    assert cfg.corpus.inputs == (data_dir / "seeds",)
    assert cfg.corpus.inputs[0].is_dir()


def test_check_paths_off_accepts_missing_inputs(tmp_path):
    path = write(tmp_path, 'seed = 1\n[corpus]\ninputs = ["elsewhere/*.txt"]\n')
    with pytest.raises(
        ConfigError, match=r"corpus.inputs\[0\] in .*x.toml: file or folder not found"
    ):
        load_config(path)
    cfg = load_config(path, check_paths=False)
    assert cfg.corpus.inputs == (tmp_path.resolve() / "elsewhere" / "*.txt",)


def test_a_single_string_is_a_one_item_list(tmp_path):
    cfg = load_config(minimal(tmp_path, '[compare]\nby = "outlet"\n[corpus.extra]\n'))
    assert cfg.compare.by == ("outlet",)


def test_model_scoring_resolves_the_model(tmp_path, monkeypatch):
    models = tmp_path / "models"
    (models / "stance-v1").mkdir(parents=True)
    monkeypatch.setenv(config.MODELS_ENV, str(models))
    cfg = load_config(minimal(tmp_path, '[scoring]\nmethod = "hybrid"\nmodel = "stance-v1"\n'))
    assert cfg.scoring.model == "stance-v1"  # a name stays a name
    assert config.resolve_model(cfg.scoring.model) == models.resolve() / "stance-v1"
    cfg = load_config(
        minimal(tmp_path, '[scoring]\nmethod = "model"\nmodel = "models/stance-v1"\n')
    )
    assert cfg.scoring.model == str(models.resolve() / "stance-v1")  # a path becomes absolute


# --------------------------------------------------------------------------------------------
# Errors: each names the file, the key path, what was received and what is accepted


def test_misspelt_key_names_the_closest_valid_key(tmp_path):
    path = minimal(tmp_path, '[scoring]\nmethdo = "lexicon"\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert f"unknown key scoring.methdo in {path}; did you mean scoring.method?" in message
    assert "method, lexicon, model, neutral_band" in message


@pytest.mark.parametrize(
    ("top", "extra", "expected"),
    [
        ("sed = 2", "", "unknown key sed in .*did you mean seed\\?"),
        ("", 'name = "late"\n', "unknown key corpus.name in .*name belongs at the top level"),
        ("", "[corpus.scoring]\n", r"corpus.scoring .*\[scoring\] is a table of its own"),
        ('method = "model"', "", "unknown key method in .*did you mean scoring.method\\?"),
        ("", '[scorign]\nmethod = "lexicon"\n', "unknown key scorign in .*did you mean scoring\\?"),
        (
            "",
            '[corpus.columns]\noutlte = "source"\n',
            "corpus.columns.outlte .*did you mean corpus.columns.outlet\\?",
        ),
        (
            "",
            "[compare]\nnboot = 10\n",
            "unknown key compare.nboot .*did you mean compare.n_boot\\?",
        ),
    ],
)
def test_unknown_keys(tmp_path, top, extra, expected):
    with pytest.raises(ConfigError, match=expected):
        load_config(minimal(tmp_path, extra, top=top))


def test_bad_scoring_method(tmp_path):
    path = minimal(tmp_path, '[scoring]\nmethod = "lexicom"\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert message.startswith(f"scoring.method in {path}: received 'lexicom' (str)")
    assert "accepted: 'lexicon', 'model', 'hybrid'" in message
    assert "did you mean lexicon?" in message


def test_missing_seed(tmp_path):
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    path = write(tmp_path, '[corpus]\ninputs = ["a.txt"]\n')
    with pytest.raises(
        ConfigError, match=f"seed is missing in {path}: add a line such as 'seed = 13'"
    ):
        load_config(path)


def test_toml_syntax_error_gives_file_and_line(tmp_path):
    path = write(tmp_path, 'seed = 1\n[corpus]\ninputs = ["a.txt"\nformat = "txt"\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert message.startswith(f"{path} is not valid TOML:")
    assert "line 4" in message


def test_missing_file_and_non_utf8(tmp_path):
    with pytest.raises(ConfigError, match="experiment config not found: .*nope.toml"):
        load_config(tmp_path / "nope.toml")
    path = tmp_path / "latin1.toml"
    path.write_bytes('seed = 1\nname = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="is not UTF-8"):
        load_config(path)


@pytest.mark.parametrize(
    ("top", "extra", "expected"),
    [
        (
            'seed = "13"',
            "",
            r"seed in .*: expected an integer in \[0, 4294967295\]; received '13' \(str\)",
        ),
        ("seed = true", "", r"seed in .*received True \(bool\)"),
        ("seed = -1", "", r"seed in .*received -1 \(int\)"),
        (
            "",
            '[scoring]\nneutral_band = "wide"\n',
            r"scoring.neutral_band in .*a number in \[0, 1\); received 'wide'",
        ),
        (
            "",
            "[scoring]\nneutral_band = 1.5\n",
            r"scoring.neutral_band in .*received 1.5 \(float\)",
        ),
        ("", "[compare]\nn_boot = 0\n", r"compare.n_boot in .*an integer >= 1; received 0"),
        ("", "[compare]\nci = 95\n", r"compare.ci in .*in \(0, 1\), e.g. 0.95; received 95"),
        (
            "",
            '[compare]\ntest = "ttest"\n',
            r"compare.test in .*accepted: 'permutation', 'mannwhitney'",
        ),
        (
            "",
            '[corpus.extra]\nstatus = "x"\n',
            r"corpus.extra.status in .*not one of the article columns",
        ),
        (
            "",
            '[report]\nfigures = ["heatmap", "forrest"]\n',
            r"report.figures\[1\] in .*'forrest'.*did you mean forest\?",
        ),
        (
            'scoring = "lexicon"',
            "",
            r"scoring in .*expected a table \[scoring\]; received 'lexicon'",
        ),
        ('name = ""', "", r"name in .*expected a non-empty string; received ''"),
        (
            "",
            '[targets]\nlexicon = "targets-v9"\n',
            r"targets.lexicon in .*no lexicon 'targets-v9'.*available:",
        ),
        (
            "",
            '[scoring]\nmethod = "hybrid"\n',
            r"scoring.model is missing in .*method 'hybrid' needs a trained model",
        ),
        (
            'data_dir = "${NOT_SET_ANYWHERE_42}"',
            "",
            r"data_dir in .*environment variable 'NOT_SET_ANYWHERE_42'.*is not set",
        ),
    ],
)
def test_bad_values(tmp_path, top, extra, expected):
    with pytest.raises(ConfigError, match=expected):
        load_config(minimal(tmp_path, extra, top=top))


def test_wrong_types_in_the_corpus_table(tmp_path):
    path = write(tmp_path, "seed = 1\n[corpus]\ninputs = 3\n")
    with pytest.raises(
        ConfigError, match=r"corpus.inputs in .*expected a list.*received 3 \(int\)"
    ):
        load_config(path)
    path = write(tmp_path, 'seed = 1\n[corpus]\ninputs = ["{data}/a.txt"]\n')
    with pytest.raises(ConfigError, match=r"unknown placeholder \{data\}.*accepted: \{data_dir\}"):
        load_config(path)
    path = write(tmp_path, 'seed = 1\n[corpus]\nformat = "txt"\n')
    with pytest.raises(ConfigError, match="corpus.inputs is missing"):
        load_config(path)
    path = minimal(tmp_path, 'format = "xml"\n')
    with pytest.raises(ConfigError, match=r"corpus.format in .*'xml'.*accepted: 'txt', 'csv'"):
        load_config(path)
    path = minimal(tmp_path, 'languages = ["English"]\n')
    with pytest.raises(
        ConfigError, match=r"corpus.languages\[0\] in .*ISO 639-1.*received 'English'"
    ):
        load_config(path)


def test_model_name_not_found_lists_the_models(tmp_path, monkeypatch):
    (tmp_path / "models" / "stance-v1").mkdir(parents=True)
    monkeypatch.setenv(config.MODELS_ENV, str(tmp_path / "models"))
    path = minimal(tmp_path, '[scoring]\nmethod = "model"\nmodel = "stance-v2"\n')
    with pytest.raises(
        ConfigError, match=r"scoring.model in .*no model 'stance-v2'.*available: stance-v1"
    ):
        load_config(path)


# --------------------------------------------------------------------------------------------
# The settings vocabularies mirror the modules that use them


def test_vocabularies_match_the_modules():
    from framing.analysis import statistics
    from framing.corpus.fields import CANONICAL_FIELDS
    from framing.corpus.files import FORMATS

    assert tuple(FORMATS) == config.INPUT_FORMATS
    assert CANONICAL_FIELDS == config.COLUMN_FIELDS
    assert statistics.TESTS == config.COMPARE_TESTS


def test_scoring_precision_is_read_and_checked(tmp_path):
    assert load_config(minimal(tmp_path)).scoring.precision == "fp32"
    cfg = load_config(minimal(tmp_path, '[scoring]\nprecision = "bf16"\n'))
    assert cfg.scoring.precision == "bf16"
    with pytest.raises(ConfigError, match="scoring.precision"):
        load_config(minimal(tmp_path, '[scoring]\nprecision = "fp8"\n'))


# --------------------------------------------------------------------------------------------
# One validator: every setting declares its check in its field's metadata


def test_every_setting_declares_how_it_is_checked():
    for cls in (*config.SECTIONS.values(), ExperimentConfig):
        for f in dataclasses.fields(cls):
            if f.compare and f.name not in config.SECTIONS:
                assert callable(getattr(f.metadata.get("check"), "read", None)), (cls, f.name)
    # Required settings say what to add.
    required = {
        (cls.__name__, f.name)
        for cls in (*config.SECTIONS.values(), ExperimentConfig)
        for f in dataclasses.fields(cls)
        if f.metadata.get("missing")
    }
    assert required == {("CorpusConfig", "inputs"), ("ExperimentConfig", "name"), ("ExperimentConfig", "seed")}
    targets = {f.name: f for f in dataclasses.fields(ScoringConfig)}["targets"]
    assert not targets.compare and "check" not in targets.metadata  # filled from [targets]


def test_defaults_are_the_named_defaults():
    from framing.infra import defaults

    assert TargetsConfig().lexicon == defaults.DEFAULT_TARGETS
    scoring = ScoringConfig()
    assert (scoring.lexicon, scoring.neutral_band, scoring.aggregation) == (
        defaults.DEFAULT_LEXICON,
        defaults.NEUTRAL_BAND,
        defaults.DEFAULT_AGGREGATION,
    )
    assert CorpusConfig(inputs=()).languages == defaults.DEFAULT_LANGUAGES


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("[training]\nmargin = 0\n", "training.margin in {path}: expected a number > 0; received 0 (int)"),
        (
            "[compare]\nevent_threshold = 2\n",
            "compare.event_threshold in {path}: expected a number in [-1, 1] (a cosine); received 2 (int)",
        ),
        (
            "[compare]\nevent_window_days = -1\n",
            "compare.event_window_days in {path}: expected an integer >= 0; received -1 (int)",
        ),
        (
            '[compare]\nevents = "tfid"\n',
            "compare.events in {path}: received 'tfid' (str); accepted: 'column', 'encoder', "
            "'tfidf'; did you mean tfidf?",
        ),
        ('[compare]\nby = ["outlet", "outlet"]\n', "compare.by in {path}: 'outlet' is listed twice"),
        (
            "[compare]\nby = []\n",
            'compare.by in {path}: expected at least one column name, e.g. ["outlet"]; received [] (list)',
        ),
        (
            'dayfirst = "yes"\n',
            "corpus.dayfirst in {path}: expected true, false or a list of outlet names; received 'yes' (str)",
        ),
        ("metadata = 0\n", "corpus.metadata in {path}: expected a string; received 0 (int)"),
        (
            "[corpus.columns]\noutlet = 3\n",
            "corpus.columns.outlet in {path}: expected a non-empty string; received 3 (int)",
        ),
        (
            '[targets]\nlexicon = ""\n',
            "targets.lexicon in {path}: expected a lexicon name such as 'targets-v1' or a folder; "
            "received '' (str)",
        ),
        (
            "[training]\narguments = 3\n",
            "training.arguments in {path}: expected a table of TrainingArguments keys; received 3 (int)",
        ),
        (
            "[training]\narguments = {seed = 3}\n",
            "training.arguments.seed in {path}: the run's seed (top-level seed) is used",
        ),
        (
            '[training]\nlabels = "config"\n',
            "training.config in {path}: give a training config exactly when training.labels = "
            "'config' (labels is 'config')",
        ),
        ("[report]\nfigures = 3\n", 'report.figures in {path}: expected a list, e.g. ["a", "b"]; received 3 (int)'),
        (
            '[report]\nfigures = [1]\n',
            "report.figures[0] in {path}: received 1 (int); accepted: 'heatmap', 'forest', "
            "'distribution', 'frames', 'terms', 'over_time'",
        ),
    ],
)
def test_each_check_gives_its_whole_message(tmp_path, extra, message):
    path = minimal(tmp_path, extra)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == message.format(path=path)


def test_blank_and_none_values_keep_the_defaults(tmp_path):
    cfg = load_config(minimal(tmp_path, 'format = ""\nmetadata = ""\n[report]\ntitle = ""\n'))
    assert (cfg.corpus.format, cfg.corpus.metadata, cfg.report.title) == ("", None, "x")
    data = cfg.to_dict()
    assert data["corpus"]["metadata"] is None and data["training"]["config"] is None
    assert ExperimentConfig.from_dict(data) == cfg


def test_round_trip_with_training_and_dayfirst(tmp_path, monkeypatch):
    (tmp_path / "models" / "stance-v1").mkdir(parents=True)
    monkeypatch.setenv(config.MODELS_ENV, str(tmp_path / "models"))
    path = minimal(
        tmp_path,
        'dayfirst = ["Le Monde", "Le Monde"]\nlanguages = ["nl", "en", "nl"]\n'
        '[scoring]\nmethod = "hybrid"\nmodel = "stance-v1"\nneutral_band = 0\n'
        '[training]\nlabels = "weak"\nper_label = 10\nmargin = 2\narguments = {epochs = 1}\n'
        '[compare]\nalso_by = "language"\nci = 0.5\n',
    )
    cfg = load_config(path)
    assert cfg.corpus.dayfirst == ("Le Monde",) and cfg.corpus.languages == ("nl", "en")
    assert cfg.training.margin == 2.0 and isinstance(cfg.training.margin, float)
    assert cfg.scoring.targets == cfg.targets  # filled from [targets], not a [scoring] key
    assert "targets" not in cfg.to_dict()["scoring"]
    again = ExperimentConfig.from_dict(cfg.to_dict())
    assert again == cfg and again.to_dict() == cfg.to_dict()


def test_run_ids_of_the_shipped_configs_stay_the_same(monkeypatch):
    """The resolved settings (hence run ids) of shipped configs; change only on purpose."""
    import hashlib

    monkeypatch.setenv(config.DATA_ENV, "/nonexistent/data")
    monkeypatch.setenv(config.MODELS_ENV, "/nonexistent/models")
    expected = {
        "framing/data/demo/demo.toml": "80f3591b274b1bb2",
        "experiments/eu_japan_2023.toml": "b4f0f50cb722cc7c",  # + [multiverse] (2026-12-03)
    }
    for name, sha in expected.items():
        cfg = load_config(config.PROJECT_DIR / name, check_paths=False)
        text = json.dumps(cfg.to_dict(), sort_keys=True).replace(config.PROJECT_DIR.as_posix(), "<project>")
        assert hashlib.sha256(text.encode()).hexdigest()[:16] == sha, name


def test_a_tilde_of_no_known_user_is_a_config_error(tmp_path):
    path = minimal(tmp_path, '[targets]\nextra = ["~no_such_user_42/x"]\n')
    with pytest.raises(ConfigError, match=r"targets.extra\[0\] in .*cannot expand the '~'"):
        load_config(path)
