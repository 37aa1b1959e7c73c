"""Versioned data folders (framing.infra.datafolder): names and paths, meta.toml, tables, hashes.

Every loader of a data folder (lexicons, target sets, boilerplate, abbreviations, voice cues,
codebooks) goes through this module; the last tests check that they do, and that the hashes
recorded in run manifests and trained models keep their recipe.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from framing.annotate.codebook import load_codebook
from framing.infra import datafolder
from framing.infra.errors import ConfigError, DataError
from framing.lexicon import folder as lexicon
from framing.runs import config
from framing.text import preprocess, targets, voice

BUNDLED_FOLDERS = ("abbreviations-v1", "boilerplate-v1", "framing-stance-v1", "targets-v1", "voice-v1")


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------
# Names and paths


@pytest.mark.parametrize("name", BUNDLED_FOLDERS)
def test_a_bare_name_is_a_folder_under_the_lexicons_folder(name):
    assert datafolder.resolve(name) == config.lexicons_dir() / name


def test_a_path_is_taken_as_given_and_made_absolute(tmp_path, monkeypatch):
    folder = tmp_path / "mine-v1"
    folder.mkdir()
    monkeypatch.chdir(tmp_path)
    assert datafolder.resolve("./mine-v1") == folder.resolve()
    assert datafolder.resolve(Path("mine-v1")) == folder.resolve()
    assert datafolder.resolve(str(folder)) == folder.resolve()
    assert datafolder.resolve("mine-v1") == folder.resolve()  # not a lexicon: the current folder


def test_a_relative_path_not_found_here_is_tried_under_the_lexicons_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert datafolder.resolve(Path("targets-v1")) == (config.lexicons_dir() / "targets-v1").resolve()


def test_a_missing_path_says_folder_not_found(tmp_path):
    with pytest.raises(DataError, match=r"^voice lexicon folder not found: .*nowhere-v1$"):
        datafolder.resolve(tmp_path / "nowhere-v1", what="voice lexicon")


def test_an_unknown_name_lists_the_available_ones_and_the_closest():
    with pytest.raises(ConfigError) as err:
        datafolder.resolve("targets-v2", what="target set", error=ConfigError)
    message = str(err.value)
    assert "no target set 'targets-v2' in" in message
    assert "(did you mean targets-v1?)" in message
    assert "available lexicons: abbreviations-v1, boilerplate-v1, framing-stance-v1" in message
    assert "\n" not in message


def test_an_empty_name_is_refused():
    with pytest.raises(DataError, match="no lexicon given"):
        datafolder.resolve("")


def test_bundled_files_are_found_by_name_with_or_without_their_ending():
    data = config.PACKAGE_DIR / "data"
    for name in ("codebook-state-v1", "codebook-state-v1.toml"):
        found = datafolder.resolve(name, what="codebook", bundled=True, suffix=".toml")
        assert found == data / "codebook-state-v1.toml"
    with pytest.raises(ConfigError, match=r"available bundled codebooks: codebook-stance-v1, codebook-state-v1"):
        datafolder.resolve("codebook-x", what="codebook", bundled=True, suffix=".toml", error=ConfigError)
    with pytest.raises(ConfigError, match="codebook file not found"):
        datafolder.resolve("./no.toml", what="codebook", bundled=True, suffix=".toml", error=ConfigError)


def test_the_lexicons_folder_follows_its_environment_variable(tmp_path, monkeypatch):
    (tmp_path / "solo-v1").mkdir()
    write(tmp_path / "solo-v1" / "meta.toml", 'name = "solo"\n')
    monkeypatch.setenv(config.LEXICONS_ENV, str(tmp_path))
    assert datafolder.resolve("solo-v1") == tmp_path.resolve() / "solo-v1"
    with pytest.raises(DataError, match=r"available lexicons: solo-v1 "):
        datafolder.resolve("targets-v1")


# --------------------------------------------------------------------------------------------
# meta.toml


def test_missing_meta_names_the_files_the_folder_holds(tmp_path):
    with pytest.raises(DataError, match=r"meta\.toml: missing; a voice lexicon folder holds meta\.toml, cues\.tsv$"):
        datafolder.read_meta(tmp_path, what="voice lexicon", files=("cues.tsv",))


def test_bad_toml_names_file_and_line(tmp_path):
    write(tmp_path / "meta.toml", 'name = "x"\nversion = 1\nlanguages = [en]\n')
    with pytest.raises(DataError, match=r"meta\.toml:3: not valid UTF-8 TOML \(Invalid value"):
        datafolder.read_meta(tmp_path)
    write(tmp_path / "meta.toml", b'name = "\xe9"\n')
    with pytest.raises(DataError, match=r"meta\.toml:1: not UTF-8 text"):
        datafolder.read_meta(tmp_path)


def test_codebook_toml_errors_keep_their_error_type(tmp_path):
    path = write(tmp_path / "cb.toml", "name = \n")
    with pytest.raises(ConfigError, match=r"cb\.toml:1: not valid UTF-8 TOML"):
        datafolder.read_toml(path, error=ConfigError)


def test_missing_and_unknown_keys(tmp_path):
    write(tmp_path / "meta.toml", 'name = "x"\ncolour = "red"\n')
    with pytest.raises(DataError, match=r"meta\.toml: missing key 'version'; required: name, version$"):
        datafolder.read_meta(tmp_path, required=("name", "version"))
    with pytest.raises(DataError, match=r"missing keys 'version', 'licence'"):
        datafolder.read_meta(tmp_path, required=("name", "version", "licence"))
    with pytest.raises(DataError, match=r"meta\.toml: unknown key\(s\) colour; accepted: name, version"):
        datafolder.read_meta(tmp_path, accepted=("name", "version"))
    assert datafolder.read_meta(tmp_path, required=("name",)) == {"name": "x", "colour": "red"}


# --------------------------------------------------------------------------------------------
# Tables


def test_csv_rows_carry_their_file_line_and_stripped_cells(tmp_path):
    path = write(tmp_path / "t.csv", '\ufeffterm , note\n war ,"two\nlines"\n\n peace ,\n')
    rows = datafolder.read_rows(path, ("term", "note"))
    assert rows.header == ["term", "note"]
    assert list(rows) == [(3, {"term": "war", "note": "two\nlines"}), (5, {"term": "peace", "note": ""})]


def test_tsv_rows_are_not_quoted(tmp_path):
    path = write(tmp_path / "t.tsv", 'pattern\tnote\n"quoted\tx\n')
    assert list(datafolder.read_rows(path, ("pattern", "note"))) == [(2, {"pattern": '"quoted', "note": "x"})]


def test_optional_columns_may_be_left_out_of_header_and_row_ends(tmp_path):
    path = write(tmp_path / "t.csv", "term,weight,note\nwar,1\n")
    rows = list(datafolder.read_rows(path, ("term", "weight", "note", "extra"), optional=("note", "extra")))
    assert rows == [(2, {"term": "war", "weight": "1", "note": "", "extra": ""})]
    short = write(tmp_path / "s.csv", "term,weight,note\nwar\n")
    with pytest.raises(DataError, match=r"s\.csv:2: 1 fields, the header has 3 \(term, weight, note\); quote"):
        list(datafolder.read_rows(short, ("term", "weight", "note"), optional=("note",)))


@pytest.mark.parametrize(
    ("header", "strict", "message"),
    [
        ("term,language", True, r"t\.csv:1: header lacks column\(s\) weight; found term, language; expected term, language, weight$"),
        ("term,language,weight,colour", True, r"header has unknown column\(s\) colour;"),
        ("term,language,weight,term", False, r"header repeats a column;"),
        ("", True, r"header lacks column\(s\) term, language, weight; found nothing;"),
    ],
)
def test_header_problems_name_the_file_and_line_1(tmp_path, header, strict, message):
    path = write(tmp_path / "t.csv", header + "\n")
    with pytest.raises(DataError, match=message):
        datafolder.read_rows(path, ("term", "language", "weight"), strict=strict)


def test_unknown_columns_are_kept_when_not_strict(tmp_path):
    path = write(tmp_path / "t.csv", "term,colour\nwar,red\n")
    assert list(datafolder.read_rows(path, ("term",), strict=False)) == [(2, {"term": "war", "colour": "red"})]


def test_problems_can_be_collected_to_report_every_bad_row(tmp_path):
    path = write(tmp_path / "t.csv", "a,b\n1,2,3\n4,5\n6,7,8\n")
    errors: list[str] = []
    assert list(datafolder.read_rows(path, ("a", "b"), errors=errors)) == [(3, {"a": "4", "b": "5"})]
    assert [e.split(": ", 1)[0].rsplit("/", 1)[-1] for e in errors] == ["t.csv:2", "t.csv:4"]
    bad_header: list[str] = []
    assert list(datafolder.read_rows(path, ("x",), errors=bad_header)) == []
    assert len(bad_header) == 1 and "header lacks column(s) x" in bad_header[0]


def test_file_problems_name_the_file(tmp_path):
    with pytest.raises(DataError, match=r"t\.tsv: file not found; expected a tab-separated table with columns a, b"):
        datafolder.read_rows(tmp_path / "t.tsv", ("a", "b"))
    path = write(tmp_path / "t.csv", b"a\nok\n\xff\n")
    with pytest.raises(DataError, match=r"t\.csv:3: not UTF-8 text \(byte 5: invalid start byte\); save it as UTF-8"):
        datafolder.read_rows(path, ("a",))
    huge = write(tmp_path / "h.csv", "a\nok\n" + "x" * 200_000 + "\n")
    with pytest.raises(DataError, match=r"h\.csv:3: not valid CSV \(field larger than field limit"):
        list(datafolder.read_rows(huge, ("a",)))


# --------------------------------------------------------------------------------------------
# Hashes (recorded in run manifests and trained models: the recipe must not change)


def test_the_folder_hash_recipe_is_pinned(tmp_path):
    write(tmp_path / "a.csv", "x,y\n1,2\n")
    write(tmp_path / "sub" / "b.txt", "hello\n")
    write(tmp_path / ".hidden", "left out")
    write(tmp_path / "__pycache__" / "c.pyc", b"left out")
    pinned = "63b80c36f5df2471cbe5fae6a4999d0872e03229c63d2fa90c271326ddab52b7"
    assert datafolder.folder_sha256(tmp_path) == pinned
    write(tmp_path / "a.csv", b"x,y\r\n1,2\r\n")  # a Windows checkout hashes alike
    assert datafolder.folder_sha256(tmp_path) == pinned
    extra = write(tmp_path.parent / "extra.csv", "z\n")
    with_extra = datafolder.folder_sha256(tmp_path, extra=[("extra/extra.csv", extra)])
    digest = hashlib.sha256()
    for name, data in (("a.csv", b"x,y\n1,2\n"), ("sub/b.txt", b"hello\n"), ("extra/extra.csv", b"z\n")):
        digest.update(name.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
    assert with_extra == digest.hexdigest()


def test_every_loader_records_the_folder_hash():
    assert lexicon.load_lexicon().sha256 == datafolder.folder_sha256(datafolder.resolve("framing-stance-v1"))
    assert targets.load_targets().sha256 == datafolder.folder_sha256(datafolder.resolve("targets-v1"))


def test_codebook_hash_is_of_the_file_bytes():
    book = load_codebook("codebook-state-v1")
    assert book.sha256 == hashlib.sha256(book.path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------------
# The loaders share the messages


@pytest.mark.parametrize(
    ("load", "error", "what"),
    [
        (lexicon.load_lexicon, DataError, "lexicon"),
        (targets.load_targets, ConfigError, "target set"),
        (preprocess.load_boilerplate, DataError, "boilerplate lexicon"),
        (preprocess.load_abbreviations, DataError, "abbreviations lexicon"),
        (voice.load_voice_cues, DataError, "voice lexicon"),
    ],
)
def test_loaders_report_unknown_names_and_missing_folders_alike(tmp_path, load, error, what):
    with pytest.raises(error, match=rf"^no {what} 'nothing-v1' in .*available lexicons: .*targets-v1"):
        load("nothing-v1")
    with pytest.raises(error, match=rf"^{what} folder not found: .*gone-v1$"):
        load(tmp_path / "gone-v1")


def test_loaders_name_a_missing_meta_toml(tmp_path):
    for load in (lexicon.load_lexicon, targets.load_targets, preprocess.load_boilerplate,
                 preprocess.load_abbreviations, voice.load_voice_cues):
        with pytest.raises(DataError, match=r"meta\.toml: missing; a .*folder holds meta\.toml, "):
            load(tmp_path)


def test_unknown_codebook_name_lists_the_bundled_ones():
    with pytest.raises(ConfigError, match=r"no codebook 'codebook-stanse-v1' .*did you mean codebook-stance-v1"):
        load_codebook("codebook-stanse-v1")
