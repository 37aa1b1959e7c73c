"""Language identification: ISO 639-1 codes, every model language recorded, "und" when unsure."""

from __future__ import annotations

import json

import pytest

from framing.text import language
from framing.text.language import UNDETERMINED, detect_language, detect_languages


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("The government announced new measures to support small businesses this week.", "en"),
        (
            "De regering kondigde deze week nieuwe maatregelen aan om kleine bedrijven te steunen.",
            "nl",
        ),
        (
            "Die Regierung hat diese Woche neue Maßnahmen zur Unterstützung kleiner Unternehmen angekündigt.",
            "de",
        ),
        ("政府本周宣布了支持小企业的新措施。", "zh"),
    ],
)
def test_languages_are_recorded_with_iso_639_1_codes(text, code):
    found, confidence = detect_language(text)
    assert found == code
    assert language.MIN_CONFIDENCE <= confidence <= 1.0


@pytest.mark.parametrize(
    "text", ["", "   \n ", "12345 678 90", "OK", "!!! ??? ...", "\u200b\u200b"]
)
def test_empty_short_or_letterless_text_is_undetermined(text):
    assert detect_language(text) == (UNDETERMINED, 0.0)


def test_non_strings_are_undetermined():
    assert detect_language(None) == (UNDETERMINED, 0.0)  # type: ignore[arg-type]


def test_varieties_fold_into_their_macrolanguage():
    # the model has separate labels for Cantonese and Wu; the article language is still "zh"
    code, confidence = detect_language("佢哋今日喺度開會，討論點樣幫助細公司。")
    assert code == "zh"
    assert confidence > 0.9


def test_only_a_bounded_prefix_is_read(monkeypatch):
    monkeypatch.setattr(language, "PREFIX_CHARS", 200)
    english = "The committee will publish its report on the new budget rules next month. " * 4
    dutch = (
        "De commissie publiceert volgende maand haar rapport over de nieuwe begrotingsregels. " * 40
    )
    assert detect_language(english + dutch)[0] == "en"


def test_detect_languages_keeps_order():
    texts = [
        "Het kabinet is gevallen na een lang debat in de Kamer.",
        "",
        "The cabinet fell after a long debate.",
    ]
    assert [code for code, _ in detect_languages(texts)] == ["nl", UNDETERMINED, "en"]


def test_deterministic():
    text = "Les ministres se sont réunis à Bruxelles pour discuter du budget."
    assert detect_language(text) == detect_language(text)
    assert detect_language(text)[0] == "fr"


@pytest.mark.slow
def test_dpg_articles_are_dutch(data_dir):
    path = data_dir / "data" / "dpgmedia2019" / "dpgMedia2019-articles-byarticle.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    texts = [
        json.loads(line)["text"]
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    codes = [code for code, _ in detect_languages(texts)]
    assert codes.count("nl") / len(codes) >= 0.99
    assert set(codes) <= {"nl", UNDETERMINED}  # the misses are captions too short to call
