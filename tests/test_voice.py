"""The voice of a mention: author, reported, quoted or speaker (framing.text.voice), on sentences we wrote."""

from __future__ import annotations

import pandas as pd
import pytest

from framing.infra.errors import DataError
from framing.text.voice import VOICES, add_voice, load_voice_cues, mention_voice

CUES = load_voice_cues()


def voice(sentence: str, words: str, language: str = "en", occurrence: int = 0) -> str:
    start = -1
    for _ in range(occurrence + 1):
        start = sentence.index(words, start + 1)
    return mention_voice(sentence, [(start, start + len(words))], language=language, cues=CUES)


@pytest.mark.parametrize(
    ("sentence", "words", "expected"),
    [
        ("The EU signed a trade deal with Japan on Monday.", "EU", "author"),
        ("China's economy grew by five percent last year.", "China", "author"),
        ("China firmly opposes the US move, the ministry said.", "US", "reported"),
        ("China firmly opposes the US move, the ministry said.", "China", "speaker"),
        ("Washington accused Beijing of flooding markets with cheap steel.", "Beijing", "reported"),
        ("Washington accused Beijing of flooding markets with cheap steel.", "Washington", "speaker"),
        ("Critics say the EU has been too slow to act.", "EU", "reported"),
        ("The deal is a win for everyone, said the EU trade commissioner.", "EU", "speaker"),
        ("According to the Chinese embassy, the visit went well.", "Chinese", "speaker"),
        ('He called the "hegemony of the US" a danger to peace.', "US", "quoted"),
        ("“The EU must act now,” the minister told reporters.", "EU", "quoted"),
        # A quotation that runs on from the previous sentence quotes up to its closing mark.
        ("China will pay for this,” he added.", "China", "quoted"),
        # An apostrophe is not a quotation mark.
        ("America’s economy grew faster than expected.", "America", "author"),
    ],
)
def test_english_voices(sentence, words, expected):
    assert voice(sentence, words) == expected


@pytest.mark.parametrize(
    ("sentence", "words", "expected"),
    [
        ("De EU sloot maandag een handelsakkoord met Japan.", "EU", "author"),
        ("Volgens Brussel is de regel te streng.", "Brussel", "speaker"),
        ("Volgens de Amerikaanse regering speelt China vals.", "China", "reported"),
        ("Peking beschuldigt de VS van pesterij.", "VS", "reported"),
        ("Peking beschuldigt de VS van pesterij.", "Peking", "speaker"),
        ("'De VS spelen een gevaarlijk spel', zei de minister.", "VS", "quoted"),
        ("China groeit het snelst, aldus de onderzoekers.", "China", "reported"),
    ],
)
def test_dutch_voices(sentence, words, expected):
    assert voice(sentence, words, language="nl") == expected


def test_no_span_is_the_author():
    assert mention_voice("Anything said here.", [], language="en", cues=CUES) == "author"


def test_add_voice_uses_sentence_offsets_and_language():
    sentences = pd.DataFrame({"article_id": ["a", "a"], "sent_id": [1, 2], "section": "body",
                              "start": [0, 30], "end": [29, 61],
                              "text": ["The EU signed a deal in June.", "Peking beschuldigt de VS ervan."]})
    mentions = pd.DataFrame({"article_id": ["a", "a"], "sent_id": [1, 2], "section": "body",
                             "target": ["EU", "US"], "n": [1, 1], "spans": [[[4, 6]], [[52, 54]]],
                             "aliases": [["EU"], ["VS"]], "sentence": sentences["text"].tolist()})
    out = add_voice(mentions, sentences, {"a": "nl"})
    assert out["voice"].tolist() == ["author", "reported"]
    assert set(out["voice"]) <= set(VOICES)
    assert "voice" not in mentions.columns


def test_bad_cue_file_names_file_and_line(tmp_path):
    folder = tmp_path / "voice-v9"
    folder.mkdir()
    (folder / "meta.toml").write_text('name = "voice"\nversion = 9\n', encoding="utf-8")
    (folder / "cues.tsv").write_text("language\tkind\tterm\tnote\nen\tverbal\tsaid\t\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"cues.tsv:2: kind 'verbal'; accepted"):
        load_voice_cues(folder)
