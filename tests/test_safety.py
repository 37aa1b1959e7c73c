"""Safety: hostile text never runs in the report, models and configs are never executable, names
from data never leave the run folder, and writes are atomic.

The report test runs a whole experiment (``framing run``) on articles we wrote whose text, outlet
names and ids carry HTML payloads, under an experiment whose name is no file name; it then checks the
page's markup, and opens it in headless Chromium three ways: as written, with its
Content-Security-Policy removed (so that escaping alone must stop the payloads), and, as a
positive control, with a payload injected unescaped (which must run, or the check proves nothing).
"""

from __future__ import annotations

import ast
import csv
import dataclasses
import functools
import io
import json
import os
import re
import subprocess
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import framing
from framing.analysis import plots, report_tables
from framing.cli import EXIT_USAGE, main
from framing.infra.errors import DataError, FramingError
from framing.report.build import REPORT_HTML, REPORT_MD
from framing.runs import config
from framing.runs import folders as runs

SCRIPT = "<script>document.title='PWNED'</script>"
IMG = "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"
TITLE = f"Hostile run {SCRIPT}"
#: Accepted as an experiment name (no separator, no leading dot) but no safe file name.
HOSTILE_NAME = "CON <b>escape<b> 中国.."
OUTLETS = ("Daily Planet", f"Planet {SCRIPT}", f"Harbour {IMG} Times")
IDS = ("../../x", "/etc/passwd", "<b>bold</b>", "CON", "a/b\\c", "..")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
CSP_META = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>')

PROPERTY = settings(derandomize=True, database=None, deadline=None, max_examples=200)


# ---------------------------------------------------------------------------------------------
# A whole run on hostile input


def _hostile_articles() -> list[dict]:
    rows = []
    for i in range(12):
        rows.append(
            {
                "id": f"{IDS[i % len(IDS)]}{i // len(IDS)}",
                "outlet": OUTLETS[i % len(OUTLETS)],
                "title": f"Washington and Beijing {IMG} number {i}",
                "text": (
                    f"Washington accused Beijing of bullying {SCRIPT} its neighbours in case {i}. "
                    f"Beijing condemned the hegemony of Washington {IMG} once more. "
                    "The EU praised the partnership with China."
                ),
            }
        )
    return rows


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory) -> dict:
    """Run ``framing run`` on the hostile corpus; return the paths it wrote and what was there."""
    base = tmp_path_factory.mktemp("hostile")
    (base / "hostile.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _hostile_articles()), "utf-8"
    )
    assert '"' not in TITLE and "\\" not in TITLE  # written as a TOML basic string below
    (base / "exp.toml").write_text(
        f'name = "{HOSTILE_NAME}"\nseed = 3\n[corpus]\ninputs = ["hostile.jsonl"]\n'
        "[compare]\nn_boot = 50\nn_perm = 49\nmin_n = 2\n"
        f'[report]\ntitle = "{TITLE}"\n',
        "utf-8",
    )
    before = {p for p in base.rglob("*")}
    root = base / "deep" / "er" / "root"  # "../../" from a run folder would still land in base
    result = CliRunner().invoke(
        main, ["run", str(base / "exp.toml"), "--root", str(root), "-j", "1"]
    )
    assert result.exit_code == 0, result.output + result.stderr
    pages = list(root.rglob(REPORT_HTML))
    assert len(pages) == 1, pages
    return {"base": base, "root": root, "before": before, "page": pages[0], "run": pages[0].parent}


class _Tags(HTMLParser):
    """Start tags with their attributes and the document title, as a browser parses them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def _parse(text: str) -> _Tags:
    tags = _Tags()
    tags.feed(text)
    return tags


def test_hostile_run_writes_only_inside_its_run_folder(hostile_run):
    root, run = hostile_run["root"].resolve(), hostile_run["run"].resolve()
    assert run.relative_to(root).parts[0] == runs.safe_name(HOSTILE_NAME) == "CON_b_escape_b_"
    created = {p for p in hostile_run["base"].rglob("*")} - hostile_run["before"]
    outside = [p for p in created if p.is_file() and not p.resolve().is_relative_to(run)]
    assert not outside, outside
    for path in run.rglob("*"):
        assert re.fullmatch(r"[A-Za-z0-9._-]+", path.name), path  # no name taken raw from data
    # The hostile ids were kept as data, untouched.
    articles = pd.read_parquet(run / "articles.parquet")
    assert "../../x0" in set(articles["article_id"]) and "/etc/passwd0" in set(
        articles["article_id"]
    )


def test_hostile_text_appears_in_the_report_only_as_text(hostile_run):
    page = hostile_run["page"].read_text(encoding="utf-8")
    markdown = (hostile_run["run"] / REPORT_MD).read_text(encoding="utf-8")
    for payload in (SCRIPT, IMG, "<b>bold</b>"):
        assert payload not in page and payload not in markdown
    # The payloads are there, escaped: in evidence sentences, outlet names, ids and the title.
    assert page.count("&lt;script&gt;document.title=") >= 3
    assert "&lt;img src=x onerror=" in page and "../../x" in page
    tags = _parse(page)
    assert tags.title == TITLE  # the title text is the text we gave, not markup
    assert [t for t, _ in tags.tags].count("script") == 1  # the report's own script only
    assert not [a for t, a in tags.tags if t == "img" and not a.get("src", "").startswith("data:")]
    assert not [(t, a) for t, a in tags.tags if any(name.startswith("on") for name in a)]


def _dump_dom(pages: list[Path], tmp_path: Path) -> list[str]:
    """The DOM of each page after loading it in headless Chromium (run side by side)."""
    if not CHROMIUM.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing and CI is set: install Debian's chromium")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium); CI is not set")
    procs = [
        subprocess.Popen(
            [
                str(CHROMIUM),
                *CHROMIUM_FLAGS,
                f"--user-data-dir={tmp_path / f'profile{i}'}",
                "--dump-dom",
                page.as_uri(),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for i, page in enumerate(pages)
    ]
    out = []
    for proc in procs:
        stdout, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        out.append(stdout)
    return out


def _ran(dom: str) -> bool:
    tags = _parse(dom)
    # The payloads set the title to exactly "PWNED" or add a data-pwned attribute (the escaped
    # payload text itself, which says PWNED, is shown in the title on purpose).
    return tags.title == "PWNED" or any("data-pwned" in attrs for _, attrs in tags.tags)


def test_hostile_report_runs_no_payload_in_chromium(hostile_run, tmp_path):
    page = hostile_run["page"].read_text(encoding="utf-8")
    assert CSP_META.search(page)
    folder = hostile_run["run"]
    # Beside the report, so that relative image URLs resolve the same way.
    no_csp = folder / "no-csp.html"
    no_csp.write_text(CSP_META.sub("", page), encoding="utf-8")
    injected = folder / "injected.html"  # positive control: an unescaped payload must run
    injected.write_text(
        CSP_META.sub("", page).replace("</body>", SCRIPT + IMG + "</body>"), "utf-8"
    )
    with_csp = folder / "injected-with-csp.html"  # the policy alone blocks it too
    with_csp.write_text(page.replace("</body>", SCRIPT + IMG + "</body>"), encoding="utf-8")
    try:
        doms = _dump_dom([hostile_run["page"], no_csp, injected, with_csp], tmp_path)
    finally:
        for path in (no_csp, injected, with_csp):
            path.unlink()
    as_written, escaped_only, control, policy_only = doms
    assert _ran(control), "the positive control did not run: this check cannot see a payload"
    assert not _ran(as_written)
    assert not _ran(escaped_only)  # escaping alone keeps the payloads inert
    assert not _ran(policy_only)  # and the Content-Security-Policy alone would too
    assert _parse(as_written).title == TITLE


# ---------------------------------------------------------------------------------------------
# Models and configs: nothing executable is ever loaded


@functools.cache
def _framing_sources() -> dict[str, ast.Module]:
    folder = Path(framing.__file__).parent
    return {
        p.relative_to(folder).as_posix(): ast.parse(p.read_text(encoding="utf-8"))
        for p in sorted(folder.rglob("*.py"))
    }


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


FORBIDDEN_IMPORTS = {"pickle", "dill", "cloudpickle", "joblib", "marshal", "shelve", "yaml", "toml"}
FORBIDDEN_CALLS = {
    "eval",
    "exec",
    "torch.load",
    "pickle.load",
    "pickle.loads",
    "joblib.load",
    "pd.read_pickle",
    "pandas.read_pickle",
    "yaml.load",
    "yaml.unsafe_load",
}


def test_the_package_never_unpickles_or_evaluates():
    problems = []
    for name, tree in _framing_sources().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                modules = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                )
                for module in modules:
                    if module.split(".")[0] in FORBIDDEN_IMPORTS:
                        problems.append(f"{name}:{node.lineno}: imports {module}")
            if isinstance(node, ast.Call):
                called = _dotted(node.func)
                if called in FORBIDDEN_CALLS:
                    problems.append(f"{name}:{node.lineno}: calls {called}")
                for kw in node.keywords:
                    if kw.arg in ("allow_pickle", "trust_remote_code") and not (
                        isinstance(kw.value, ast.Constant) and kw.value.value is False
                    ):
                        problems.append(f"{name}:{node.lineno}: {kw.arg} is not literally False")
    assert not problems, problems


def test_model_loading_is_local_safetensors_and_no_remote_code():
    """Every from_pretrained/from_config names trust_remote_code=False; every model load is local
    and safetensors only (config and tokenizer files are JSON and text)."""
    calls = []
    for name, tree in _framing_sources().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _dotted(node.func).endswith(
                (".from_pretrained", ".from_config")
            ):
                keywords = {kw.arg: kw.value for kw in node.keywords}
                calls.append((name, node.lineno, _dotted(node.func), keywords))
    assert calls  # the scan sees the loaders
    for name, line, called, keywords in calls:
        where = f"{name}:{line} {called}"
        assert isinstance(keywords.get("trust_remote_code"), ast.Constant), where
        assert keywords["trust_remote_code"].value is False, where
        if called.endswith(".from_pretrained"):
            assert getattr(keywords.get("local_files_only"), "value", None) is True, where
            if called.split(".")[0] == "AutoModel":
                assert getattr(keywords.get("use_safetensors"), "value", None) is True, where


def test_a_pickle_only_model_folder_is_refused_without_unpickling(tmp_path, monkeypatch):
    import pickle

    def refuse(*args, **kwargs):
        raise AssertionError("unpickling attempted")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    model = tmp_path / "pickled"
    model.mkdir()
    (model / "framing_model.json").write_text(json.dumps({"format_version": 1}))
    (model / "config.json").write_text(json.dumps({"model_type": "bert"}))
    (model / "pytorch_model.bin").write_bytes(b"never read")
    from framing.stance.model_scoring import load_model

    with pytest.raises(DataError, match=r"no model\.safetensors.*pytorch_model\.bin"):
        load_model(model)


def test_configs_are_data_not_code(tmp_path):
    """A config is parsed with tomllib: a would-be code string stays a string, YAML tags fail."""
    (tmp_path / "a.jsonl").write_text('{"text": "x"}\n')
    cfg = tmp_path / "exp.toml"
    cfg.write_text(
        "name = \"__import__('os').system('touch pwned')\"\nseed = 1\n"
        '[corpus]\ninputs = ["a.jsonl"]\n'
    )
    loaded = config.load_config(cfg)
    assert loaded.name.startswith("__import__") and not (tmp_path / "pwned").exists()
    cfg.write_text("!!python/object/apply:os.system ['touch pwned']\n")
    with pytest.raises(FramingError, match="not valid TOML"):
        config.load_config(cfg)
    assert not (tmp_path / "pwned").exists()


# ---------------------------------------------------------------------------------------------
# Names from data never leave their folder


@PROPERTY
@given(st.text(max_size=150))
def test_safe_name_is_one_component_inside_its_folder(name):
    safe = runs.safe_name(name)
    assert re.fullmatch(r"[A-Za-z0-9._-]+", safe) and len(safe) <= runs.MAX_NAME
    assert safe not in (".", "..") and not safe.startswith(".")
    assert runs.safe_name(safe) == safe
    root = Path("/srv/runs")
    assert os.path.normpath(root / safe).startswith(str(root) + os.sep)


@PROPERTY
@given(st.lists(st.text(max_size=20), min_size=1, max_size=3), st.text(max_size=30))
def test_figure_names_from_targets_and_outlets_are_slugs(parts, group):
    try:
        stem = plots.figure_name(*parts)
    except FramingError:
        stem = None  # no letter or digit: report_tables.figure_stem falls back to a hash
    assert stem is None or re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", stem)
    for kind in ("interval", "terms"):
        assert re.fullmatch(r"[a-z0-9-]+", report_tables.figure_stem(kind, target=parts[0], group=group))


def test_run_files_stay_inside_the_run_folder(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"text": "x"}\n')
    cfg = config.ExperimentConfig.from_dict(
        {"name": "up", "seed": 1, "corpus": {"inputs": ["a.jsonl"]}}, base_dir=tmp_path
    )
    # A name load_config refuses, set behind its back: the run folder still stays inside root.
    cfg = dataclasses.replace(cfg, name="../../up")
    run = runs.Run.open(cfg, root=tmp_path / "root", run_id="../../../id")
    inside = run.path.resolve()
    assert inside.is_relative_to((tmp_path / "root").resolve())
    for parts in (("..", "..", "x.txt"), ("/etc", "passwd"), ("figures", "../../../y.pdf")):
        assert run.file(*parts).resolve().is_relative_to(inside), parts


# ---------------------------------------------------------------------------------------------
# Names from configs never leave the output folder: runs, paper, figures, annotate

#: Hostile names: traversal, absolute, empty, dot names, NUL, overlong, CJK only, names that
#: differ only by case or accents or that slug alike, a right-to-left override, a device name.
HOSTILE_NAMES = (
    "..", "../x", "/abs", "a/../../b", "", ".", "a\x00b", "n" * 300, "中国日报", "人民 Daily",
    "环球 Daily", "Daily", "daily", "Daily A", "daily-a", "Le Monde", "Le Mondé", "a\\b", "~",
    "CON", " ", "\u202eevil", "a/b", "a_b",
)
HOSTILE = st.one_of(st.sampled_from(HOSTILE_NAMES), st.text(max_size=30))
FEW_EXAMPLES = settings(derandomize=True, database=None, deadline=None, max_examples=40)


def _files(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _created_outside(base: Path, before: dict[Path, bytes], *allowed: Path) -> list[Path]:
    """Files created or changed under ``base`` that lie in none of the ``allowed`` folders."""
    return [
        p for p, data in _files(base).items()
        if before.get(p) != data and not any(p.resolve().is_relative_to(a.resolve()) for a in allowed)
    ]


def _experiment_toml(name: str) -> str:
    # JSON string escapes are TOML basic-string escapes (a name TOML cannot hold is refused).
    return (f"name = {json.dumps(name, ensure_ascii=False)}\nseed = 1\n[corpus]\n"
            'inputs = ["a.jsonl"]\n[scoring]\nmethod = "lexicon"\n')


@pytest.mark.parametrize("name", ["{victim}", "../victim", "{victim}/../victim"])
def test_paper_never_deletes_a_folder_named_by_a_config(tmp_path, name):
    """Issue 16, defect 1: ``name = "/elsewhere"`` reached shutil.rmtree(out / name)."""
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep", encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    (work / "a.jsonl").write_text('{"text": "Washington met Beijing."}\n', encoding="utf-8")
    cfg = work / "exp.toml"
    cfg.write_text(_experiment_toml(name.format(victim=victim.as_posix())), encoding="utf-8")
    result = CliRunner().invoke(main, ["paper", str(cfg), "-o", str(tmp_path / "out"),
                                       "--root", str(tmp_path / "runs"), "-j", "1"])
    assert result.exit_code == EXIT_USAGE, result.output
    assert "the experiment name becomes a folder name" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert _files(victim) == {victim / "precious.txt": b"keep"}


@pytest.mark.parametrize(
    ("name", "accepted"),
    [("eu_japan_2023", True), ("EU Japan 2023", True), ("中国日报", True), ("../x", False),
     ("/abs", False), ("a\\b", False), ("..", False), (".hidden", False), ("~", False),
     ("a\x00b", False), ("\u202eevil", False), ("n" * 101, False)],
)
def test_experiment_names_are_one_plain_file_name(tmp_path, name, accepted):
    (tmp_path / "a.jsonl").write_text('{"text": "x"}\n', encoding="utf-8")
    data = {"name": name, "seed": 1, "corpus": {"inputs": ["a.jsonl"]}}
    if accepted:
        assert config.ExperimentConfig.from_dict(data, base_dir=tmp_path).name == name
    else:
        with pytest.raises(FramingError, match="the experiment name becomes a folder name"):
            config.ExperimentConfig.from_dict(data, base_dir=tmp_path)


def test_inside_refuses_every_way_out(tmp_path):
    out = tmp_path / "out"
    (tmp_path / "elsewhere").mkdir()
    out.mkdir()
    (out / "link").symlink_to(tmp_path / "elsewhere")
    assert runs.inside(out, "a", "b.txt") == out / "a" / "b.txt"
    for parts in (("..",), ("../x",), ("/abs",), ("a/../../b",), ("",), (".",), ("a\x00b",),
                  ("link", "x.txt")):
        with pytest.raises(FramingError):
            runs.inside(out, *parts)


@PROPERTY
@given(st.lists(HOSTILE, min_size=2, max_size=4, unique=True), HOSTILE)
def test_run_folders_stay_inside_root_and_differ_by_name(names, part):
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        root = base / "deep" / "root"
        cfg = config.ExperimentConfig("x", 1, config.CorpusConfig(inputs=(base / "a.jsonl",)))
        written = []
        for name in names:
            run = runs.Run.open(dataclasses.replace(cfg, name=name), root=root)
            path = runs.write_text(name.replace("\x00", ""), run.file(part, part))
            written.append(path.resolve())
            other = runs.Run.open(dataclasses.replace(cfg, name=name), root=root, run_id=part)
            runs.write_text("x", other.file("figures", part))
        assert len(set(written)) == len(names)  # distinct names, distinct files
        assert _created_outside(base, {}, root) == []


def _fake_experiment(run_root: Path):
    """Stands in for pipeline.run_experiment: a run folder with one figure and a report."""

    def run_experiment(cfg, **kwargs):
        folder = run_root / runs.config_id(cfg)
        (folder / "figures").mkdir(parents=True, exist_ok=True)
        (folder / "figures" / "stance-by-outlet-heatmap.svg").write_text("<svg/>", "utf-8")
        (folder / "report.html").write_text(json.dumps(cfg.name), encoding="utf-8")
        return folder / "report.html"

    return run_experiment


@FEW_EXAMPLES
@given(st.lists(HOSTILE, min_size=1, max_size=4, unique=True), st.booleans())
def test_paper_writes_only_inside_its_output_folder(names, validated):
    """Every file framing paper writes lies inside -o, one folder per experiment; hostile names
    are refused at load, and (set behind load_config's back) still never leave -o."""
    import tempfile

    from framing.runs.paper import build_paper

    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as patch:
        base = Path(tmp)
        out, run_root = base / "deep" / "out", base / "runs"
        (base / "deep" / "x").mkdir(parents=True)
        (base / "deep" / "x" / "keep.txt").write_text("keep", encoding="utf-8")
        (base / "a.jsonl").write_text('{"text": "x"}\n', encoding="utf-8")
        paths = []
        for i, name in enumerate(names):
            paths.append(base / f"exp{i}.toml")
            paths[-1].write_text(_experiment_toml(name if validated else "plain"), "utf-8")
        patch.setattr("framing.runs.pipeline.run_experiment", _fake_experiment(run_root))
        if not validated:
            loaded = iter(names)
            real = config.load_config
            patch.setattr(config, "load_config",
                          lambda p: dataclasses.replace(real(p), name=next(loaded)))
        before = _files(base)
        try:
            sums = build_paper(paths, out, root=run_root, progress=False)
        except FramingError:
            sums = None  # refused: a hostile name, or two names sharing one folder
        assert _created_outside(base, before, out, run_root) == []
        if sums is not None:  # one folder per experiment, holding that experiment's report
            reports = {p.parent.name: p.read_text("utf-8") for p in out.glob("*/report.html")}
            assert sorted(json.loads(r) for r in reports.values()) == sorted(names)
            assert all((out / name).is_file() for name in sums)


@FEW_EXAMPLES
@given(st.lists(HOSTILE, min_size=1, max_size=4, unique=True), HOSTILE)
def test_figures_named_from_data_stay_inside_and_never_overwrite(groups, target):
    """Issue 16, defect 4: outlets that slug alike ("Daily A", "daily-a") got one file."""
    import tempfile

    from matplotlib.figure import Figure

    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        writer = report_tables._Writer(run, ("svg",))
        figure = Figure(figsize=(1, 1))
        figure.add_subplot()
        for group in groups:
            for kind in ("terms", "heatmap"):
                stem = report_tables.figure_stem(kind, target=target, group=group, by=(group or "x",))
                writer.figure(figure, stem, kind=kind, target=target, group=group, caption=group)
        files = list(Path(tmp).rglob("*.svg"))
        assert len(files) == 2 * len(groups)  # nothing overwritten
        assert all(p.resolve().is_relative_to((run / report_tables.FIGURES_DIR).resolve()) for p in files)
        assert len({f["stem"] for f in writer.figures}) == len(writer.figures)


def test_report_links_each_outlet_to_its_own_figure(tmp_path):
    """Outlets whose names slug alike each get their distinguishing-terms figures, and the
    report shows each under its own caption (issue 16, defect 4)."""
    outlets = ["Daily A", "daily-a", "Le Monde", "Le Mondé", "人民 Daily", "环球 Daily"]
    words = ["tariffs", "soybeans", "warships", "vineyards", "satellites", "harbours"]
    rows = [
        {"id": f"{i}-{j}", "outlet": outlet, "text": (
            f"Washington accused Beijing of bullying over {w}. The EU praised China on {w} and "
            f"{w}. China condemned the hegemony of the United States on {w}. The US criticised "
            f"China over {w}.")}
        # 10 articles: the EU sentences then hold the words (MIN_WORDS) a group needs for its terms
        for i, (outlet, w) in enumerate(zip(outlets, words, strict=True)) for j in range(10)
    ]
    (tmp_path / "a.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    (tmp_path / "exp.toml").write_text(
        'name = "alike"\nseed = 1\n[corpus]\ninputs = ["a.jsonl"]\n'
        "[compare]\nn_boot = 20\nn_perm = 19\nmin_n = 1\n", "utf-8")
    result = CliRunner().invoke(main, ["run", str(tmp_path / "exp.toml"),
                                       "--root", str(tmp_path / "runs"), "-j", "1"])
    assert result.exit_code == 0, result.output + result.stderr
    page = next((tmp_path / "runs").rglob(REPORT_HTML))
    terms = sorted(p.name for p in (page.parent / "figures").glob("distinguishing-terms-*.svg"))
    for target in ("cn", "eu", "us"):
        assert len([t for t in terms if t.startswith(f"distinguishing-terms-{target}-")]) == 6
    shown = re.findall(r'<figcaption>Terms that distinguish ([^<]*?) \((\w+), English texts\) · '
                       r'<a href="(figures/[^"]+)\.pdf"', page.read_text(encoding="utf-8"))
    assert len(shown) == 18 and len({link for _, _, link in shown}) == 18
    record = json.loads((page.parent / report_tables.COMPARISON_FILE).read_text(encoding="utf-8"))
    stems = {(f["target"], f["group"]): f["stem"] for f in record["figures"] if f["kind"] == "terms"}
    for outlet, target, link in shown:  # each caption sits on the figure drawn for its outlet
        assert link == f"figures/{stems[(target, unescape(outlet))]}"


def _annotation_tables(outlets: list[str], ids: list[str]) -> tuple[pd.DataFrame, ...]:
    """Article, sentence and mention tables (framing.infra.schema shapes) with the given names."""
    sentence = "Washington met Beijing."
    articles = pd.DataFrame([
        {"article_id": aid, "outlet": outlet, "published": "2024-05-01", "language": "en",
         "language_score": 1.0, "title": "", "text": sentence, "source": f"t#{aid}",
         "status": "ok", "reason": "", "duplicate_of": None, "near_duplicate_of": None}
        for aid, outlet in zip(ids, outlets, strict=True)
    ])
    sentences = pd.DataFrame([
        {"article_id": aid, "sent_id": 1, "section": "body", "start": 0, "end": len(sentence),
         "text": sentence} for aid in ids
    ])
    mentions = pd.DataFrame([
        {"article_id": aid, "sent_id": 1, "section": "body", "target": "US", "n": 1,
         "spans": [[0, 10]], "aliases": ["Washington"], "sentence": sentence} for aid in ids
    ])
    return articles, sentences, mentions


@settings(derandomize=True, database=None, deadline=None, max_examples=15)
@given(st.lists(HOSTILE, min_size=2, max_size=3, unique=True),
       st.lists(st.sampled_from(HOSTILE_NAMES[:10]), min_size=2, max_size=2, unique=True))
def test_annotation_files_stay_inside_their_folder(names, coders):
    """Outlet names, ids and coder names never name a file: sample and import write their fixed
    files inside -o, whatever the data holds."""
    import csv
    import io
    import tempfile

    from framing.annotate.codebook import load_codebook
    from framing.annotate.export import SAMPLE_FILES, write_sample
    from framing.annotate.importing import IMPORT_FILES, import_codes, write_import
    from framing.annotate.items import mention_items
    from framing.annotate.sample import sample_items

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        out, imported = base / "deep" / "sample", base / "deep" / "import"
        try:
            items = mention_items(*_annotation_tables(names, [f"{n}{i}" for i, n in enumerate(names)]))
            drawn = sample_items(items, len(names), seed=1, strata=[])
            paths = write_sample(drawn, out, codebook=load_codebook())
        except FramingError:
            paths = None
        assert _created_outside(base, {}, out) == []
        if paths is None:
            return
        assert sorted(p.name for p in out.iterdir()) == sorted(SAMPLE_FILES.values())
        rows = list(csv.reader(io.StringIO(paths["sample"].read_text(encoding="utf-8"))))
        head = next(i for i, r in enumerate(rows) if r and r[0] == "id")
        coded = []
        for k in range(2):
            for row in rows[head + 1:]:
                row[rows[head].index("label")] = ("against", "favor")[k]
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerows(rows)
            coded.append(base / f"coded{k}.csv")
            coded[-1].write_text(buf.getvalue(), encoding="utf-8")
        before = _files(base)
        try:
            result = import_codes(paths["sample"], coded, codebook=load_codebook(),
                                  coders=coders)
            write_import(result, imported)
        except FramingError:
            return  # a coder name refused: nothing written
        finally:
            assert _created_outside(base, before, imported) == []
        assert sorted(p.name for p in imported.iterdir()) == sorted(IMPORT_FILES.values())


# ---------------------------------------------------------------------------------------------
# An output that is also an input (or another output) is refused


@pytest.fixture(scope="module")
def cli_inputs(tmp_path_factory) -> Path:
    """A folder with an article table (Parquet and CSV) made by framing ingest."""
    base = tmp_path_factory.mktemp("overwrite")
    (base / "in.csv").write_text(
        "id,outlet,text\n1,Daily A,Washington accused Beijing of bullying.\n"
        "2,Daily B,The EU praised China.\n", encoding="utf-8")
    for out in ("a.parquet", "cov/coverage-by_language.csv"):
        result = CliRunner().invoke(main, ["ingest", str(base / "in.csv"), "-o", str(base / out),
                                           "-j", "1"])
        assert result.exit_code == 0, result.output + result.stderr
    (base / "folder").mkdir()
    (base / "folder" / "in.csv").write_bytes((base / "in.csv").read_bytes())
    for name in ("run/articles.parquet", "out/outlet_table.parquet", "s.parquet",
                 "stream/articles.parquet", "smp/sample.csv", "imp/disagreements.csv"):
        (base / name).parent.mkdir(exist_ok=True)
        (base / name).write_bytes(b"an input the command must not replace")
    os.link(base / "a.parquet", base / "hard-link.parquet")
    return base


@pytest.mark.parametrize(
    "args",
    [
        ["score", "a.parquet", "-o", "a.parquet"],
        ["score", "a.parquet", "-o", "hard-link.parquet"],
        ["score", "a.parquet", "-o", "s2.parquet", "--frames", "s2.parquet"],
        ["score", "a.parquet", "-o", "s2.parquet", "--frames", "./a.parquet"],
        ["mentions", "a.parquet", "-o", "m.parquet", "--sentences", "m.parquet"],
        ["mentions", "a.parquet", "-o", "m.parquet", "--sentences", "a.parquet"],
        ["weak-label", "a.parquet", "-o", "a.parquet", "--seed", "1"],
        ["ingest", "in.csv", "-o", "in.csv"],
        ["ingest", "folder", "-o", "folder/articles.parquet"],
        ["compare", "s.parquet", "-o", "out", "--frames", "out/outlet_table.parquet",
         "--seed", "1"],
        ["stream", "stream/articles.parquet", "-o", "stream"],
        ["lexicon", "coverage", "cov/coverage-by_language.csv", "-o", "cov", "-j", "1"],
        ["annotate", "sample", "run", "-o", "smp", "-n", "2", "--seed", "1",
         "--exclude", "smp/sample.csv"],
        ["annotate", "import", "smp/sample.csv", "s.parquet", "-o", "imp",
         "--adjudication", "imp/disagreements.csv"],
    ],
    ids=lambda args: " ".join(args),
)
def test_an_output_that_is_an_input_is_refused(cli_inputs, args, monkeypatch):
    """Issue 16, defect 6: framing score a.parquet -o a.parquet replaced the article table."""
    monkeypatch.chdir(cli_inputs)
    before = _files(cli_inputs)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == EXIT_USAGE, result.output + result.stderr
    assert re.search(r"is the same file as|lies inside the input folder", result.stderr)
    assert len(result.stderr.strip().splitlines()) == 1
    assert _files(cli_inputs) == before  # nothing replaced, nothing written


# ---------------------------------------------------------------------------------------------
# No lost work: atomic writes


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_an_interrupted_table_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "scores.parquet"
    runs.write_table(pd.DataFrame({"x": [1, 2]}), path)
    before = path.read_bytes()

    def half_then_interrupt(self, target, *args, **kwargs):
        Path(target).write_bytes(b"PAR1 half a table")
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_parquet", half_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        runs.write_table(pd.DataFrame({"x": [3]}), path)
    assert path.read_bytes() == before and _leftovers(tmp_path) == []


def test_an_interrupted_text_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "report.html"
    runs.write_text("old report\n", path)

    def half_then_fail(self, text, *args, **kwargs):
        with open(self, "w", encoding="utf-8") as handle:
            handle.write(text[:3])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", half_then_fail)
    with pytest.raises(DataError, match=r"cannot write .*report.html: No space left on device"):
        runs.write_text("new report, longer\n", path)
    monkeypatch.undo()
    assert path.read_text() == "old report\n" and _leftovers(tmp_path) == []
    with pytest.raises(ValueError):  # NaN is not JSON: refused before anything is written
        runs.write_json({"score": float("nan")}, path)
    assert path.read_text() == "old report\n"


def test_writes_are_flushed_to_disk_before_the_rename(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append("fsync")
        return real_fsync(fd)

    def replace(source, target):
        events.append("replace")
        return real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    runs.write_table(pd.DataFrame({"x": [1]}), tmp_path / "t.parquet")
    assert events == ["fsync", "replace"]


def test_a_failed_ingest_keeps_the_previous_output(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("id,text\n1,Washington and Beijing resumed talks on trade on Monday.\n")
    out = tmp_path / "articles.parquet"
    runner = CliRunner()
    assert runner.invoke(main, ["ingest", str(good), "-o", str(out), "-j", "1"]).exit_code == 0
    before = out.read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_text("id,body_text\n1,Washington and Beijing resumed talks.\n")
    result = runner.invoke(main, ["ingest", str(bad), "-o", str(out), "-j", "1"])
    assert result.exit_code == EXIT_USAGE and "no text column" in result.stderr
    assert out.read_bytes() == before and _leftovers(tmp_path) == []


def test_a_failing_stage_records_nothing(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"text": "x"}\n')
    cfg = config.ExperimentConfig.from_dict(
        {"name": "stages", "seed": 1, "corpus": {"inputs": ["a.jsonl"]}}, base_dir=tmp_path
    )
    run = runs.Run.open(cfg, root=tmp_path / "root")

    def boom(table):
        raise DataError("the stage failed halfway")

    with pytest.raises(DataError):
        run.stage("scores", {"table": pd.DataFrame({"x": [1]})}, boom)
    assert not (run.path / "scores.parquet").exists()
    stages = run.path / runs.STAGES_FILE
    assert not stages.exists() or "scores" not in json.loads(stages.read_text())
    table = run.stage("scores", {"table": pd.DataFrame({"x": [1]})}, lambda table: table)
    assert table["x"].tolist() == [1] and (run.path / "scores.parquet").is_file()


# ---------------------------------------------------------------------------------------------
# CSV formula injection: every CSV for people is neutralised, the tool's readers undo it


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Cells a spreadsheet would run as formulas, at the start of ids, outlets, titles and texts.
FORMULAS = (
    '=HYPERLINK("http://example.invalid","click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,1)",
    "'=already quoted",
    "=1+1",
)
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def _formula_articles() -> list[dict]:
    """The demo corpus with a formula in front of every id, outlet, title and text."""
    lines = (config.demo_corpus_path() / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()][:24]
    outlets = sorted({r["outlet"] for r in rows})
    for k, row in enumerate(rows):
        payload = FORMULAS[k % len(FORMULAS)]
        row["article_id"] = f"{payload}{row['article_id']}" if k % 4 else f"-{k}"
        row["outlet"] = f"{FORMULAS[outlets.index(row['outlet']) % 4]} {row['outlet']}"
        row["title"] = f"+{row['title']}"
        row["text"] = f"@{row['text']}"
    return rows


def _cells(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [c for row in csv.reader(handle) for c in row]


def _formula_cells(path: Path) -> list[str]:
    """Cells of a CSV file that a spreadsheet would run as a formula (plain numbers are not)."""
    return [c for c in _cells(path) if c.startswith(FORMULA_START) and not _NUMBER.fullmatch(c)]


def _fill_codes(sample_csv: Path, out: Path, label_of) -> Path:
    """A coder's copy of the sample CSV, saved as a spreadsheet would (comment lines kept)."""
    rows = list(csv.reader(io.StringIO(sample_csv.read_text(encoding="utf-8"), newline="")))
    head = next(i for i, r in enumerate(rows) if r and r[0] == "id")
    column = rows[head].index("label")
    for k, row in enumerate(rows[head + 1:]):
        row[column] = label_of(k)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    out.write_text(buf.getvalue(), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def formula_outputs(tmp_path_factory) -> dict:
    """Every CSV writer run on a corpus whose ids, outlets, titles and texts start with formulas."""
    from framing.runs.paper import build_paper

    base = tmp_path_factory.mktemp("formulas")
    src = base / "formulas.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _formula_articles()), "utf-8")
    runner = CliRunner()
    out = {"base": base, "csv": base / "articles.csv", "parquet": base / "articles.parquet"}
    for key in ("csv", "parquet"):
        res = runner.invoke(main, ["ingest", str(src), "-o", str(out[key]), "-j", "1"])
        assert res.exit_code == 0, res.output + res.stderr
    for key, command in (("scores", "score"), ("weak", "weak-label")):
        extra = ["--seed", "2", "--per-label", "10"] if command == "weak-label" else []
        out[key] = base / f"{key}.csv"
        res = runner.invoke(main, [command, str(out["csv"]), "-o", str(out[key]), "-j", "1", *extra])
        assert res.exit_code == 0, res.output + res.stderr
    (base / "formulas.toml").write_text(
        'name = "formulas"\nseed = 5\n[corpus]\ninputs = ["formulas.jsonl"]\n[scoring]\nmethod = "lexicon"\n'
        "[compare]\nn_boot = 50\nn_perm = 49\nmin_n = 2\n", "utf-8")
    build_paper([base / "formulas.toml"], base / "paper", root=base / "runs", n_jobs=1, progress=False)
    out["run"] = next((base / "runs").rglob("articles.parquet")).parent
    res = runner.invoke(main, ["annotate", "sample", str(out["run"]), "-o", str(base / "sample"),
                               "-n", "12", "--seed", "3"])
    assert res.exit_code == 0, res.output + res.stderr
    out["sample"] = base / "sample" / "sample.csv"
    coders = [_fill_codes(out["sample"], base / "alice.csv", lambda k: ("against", "neutral", "favor")[k % 3]),
              _fill_codes(out["sample"], base / "bob.csv", lambda k: "favor" if k < 2 else
                          ("against", "neutral", "favor")[k % 3])]
    res = runner.invoke(main, ["annotate", "import", str(out["sample"]), *map(str, coders),
                               "-o", str(base / "coded")])
    assert res.exit_code == 0, res.output + res.stderr
    out["coded"] = base / "coded"
    return out


def test_no_csv_for_people_has_a_formula_cell(formula_outputs):
    base = formula_outputs["base"]
    written = sorted(p for p in base.rglob("*.csv") if p.name not in ("alice.csv", "bob.csv"))
    names = {p.relative_to(base).as_posix() for p in written}
    assert {"articles.csv", "scores.csv", "weak.csv", "sample/sample.csv", "sample/coder.csv",
            "coded/labelled.csv", "coded/disagreements.csv", "coded/codes.csv",
            "paper/formulas/outlet_table.csv"} <= names
    assert {p.relative_to(base).as_posix(): _formula_cells(p) for p in written} == {
        p.relative_to(base).as_posix(): [] for p in written}
    # The payloads reached every file that carries ids, outlets or text, escaped.
    quoted = FORMULAS[-2]
    for name in ("articles.csv", "scores.csv", "weak.csv", "sample/sample.csv", "sample/coder.csv",
                 "coded/labelled.csv", "coded/disagreements.csv", "paper/formulas/outlet_table.csv"):
        assert any(c[:1] == "'" and c[1:].startswith(FORMULA_START) and not c.startswith(quoted)
                   for c in _cells(base / name)), name


def test_csv_written_by_the_tool_reads_back_the_original_values(formula_outputs):
    from framing.annotate.codebook import load_codebook
    from framing.annotate.read import read_decisions, read_sample, read_sample_ids
    from framing.infra import tableio
    from framing.stance import training
    from framing.stance.datasets import load_labelled

    raw = pd.read_parquet(formula_outputs["parquet"])
    back = runs.read_table(formula_outputs["csv"], kind="articles")
    for column in ("article_id", "outlet", "title", "text"):
        assert back[column].astype(str).tolist() == raw[column].astype(str).tolist(), column
    scores = runs.read_table(formula_outputs["scores"])
    assert set(scores["article_id"].astype(str)) <= set(raw["article_id"])
    assert set(scores["outlet"]) <= set(raw["outlet"]) and scores["outlet"].str.startswith(FORMULA_START).all()
    weak = training.load_dataset(str(formula_outputs["weak"]))
    texts = set(pd.read_parquet(formula_outputs["run"] / "mentions.sentences.parquet")["text"])
    assert len(weak) and set(weak["sentence"]) <= texts
    items = pd.read_parquet(formula_outputs["run"] / "articles.parquet")
    sample = read_sample(formula_outputs["sample"])
    assert set(sample["outlet"]) <= set(items["outlet"]) and set(sample["article_id"]) <= set(items["article_id"])
    assert sample["id"].str.startswith(FORMULA_START).any()
    coded = formula_outputs["coded"]
    assert set(load_labelled(coded / "labelled.csv")["id"]) <= set(sample["id"])
    labelled = tableio.read_csv(coded / "labelled.csv", dtype=str, keep_default_na=False)
    assert len(labelled) and set(labelled["outlet"]) <= set(items["outlet"])
    assert set(labelled["article_id"]) <= set(items["article_id"])
    assert set(read_sample_ids(coded / "disagreements.csv")) <= set(sample["id"])
    # An adjudicator fills disagreements.csv in a spreadsheet; the ids still match the sample.
    codebook = load_codebook()
    decided = pd.read_csv(coded / "disagreements.csv", dtype=str, keep_default_na=False)
    decided["adjudicated"] = "neutral"
    decided.to_csv(formula_outputs["base"] / "decided.csv", index=False)
    decisions = read_decisions(formula_outputs["base"] / "decided.csv", sample, codebook)
    assert set(decisions) == set(read_sample_ids(coded / "disagreements.csv")) != set()


def test_parquet_outputs_keep_the_raw_values(formula_outputs):
    given = pd.DataFrame(_formula_articles())
    for table in (pd.read_parquet(formula_outputs["parquet"]),
                  pd.read_parquet(formula_outputs["run"] / "articles.parquet")):
        for column in ("article_id", "outlet", "title"):
            assert table[column].tolist() == given[column].tolist(), column
        assert table["text"].str.startswith("@").all()


@PROPERTY
@given(st.lists(st.text(max_size=12), min_size=1, max_size=5))
def test_neutralised_cells_round_trip_and_never_start_a_formula(values):
    from framing.infra import tableio

    table = pd.DataFrame({"x": values, "n": [-0.3] * len(values)})
    text = tableio.csv_text(table)
    assert all(not str(c).startswith(FORMULA_START) for c in tableio.neutralise(table)["x"])
    back = tableio.read_csv(io.StringIO(text), dtype={"x": str}, keep_default_na=False)
    assert back["x"].tolist() == values
    assert [tableio.restore_cell(tableio.neutralise_cell(v)) for v in values] == values
    assert back["n"].tolist() == [-0.3] * len(values)
