"""Named defaults, in one place: the versioned data folders and rules used when nothing else is said.

Every module takes its defaults from here instead of repeating the literal names, so that a new
version of a lexicon or rule changes one line.

>>> DEFAULT_TARGETS, DEFAULT_LEXICON
('targets-v1', 'framing-stance-v1')
"""

from __future__ import annotations

#: Target set (actors and aliases) under the lexicons folder.
DEFAULT_TARGETS = "targets-v1"
#: Stance and frame lexicon under the lexicons folder.
DEFAULT_LEXICON = "framing-stance-v1"
#: Boilerplate patterns removed by the cleaners.
DEFAULT_BOILERPLATE = "boilerplate-v1"
#: Abbreviations the sentence splitter does not split after.
DEFAULT_ABBREVIATIONS = "abbreviations-v1"
#: Quotation and reporting-verb cues of the voice detector.
DEFAULT_VOICE_CUES = "voice-v1"
#: Codebook of manual stance coding (bundled in framing/data).
DEFAULT_CODEBOOK = "codebook-stance-v1"
#: How mention predictions become article scores (``framing.stance.scoring.AGGREGATIONS``).
DEFAULT_AGGREGATION = "smoothed-v1"
#: Scores with absolute value below this are labelled neutral.
NEUTRAL_BAND = 0.1
#: Languages processed when the user does not say (others get status unsupported_language).
DEFAULT_LANGUAGES: tuple[str, ...] = ("en", "nl")
#: Longest article text processed whole (longer: status too_large, truncated).
MAX_CHARS = 1_000_000

# File names and prefixes that several layers read (written by runs and annotate, read below them).
#: The manifest of a run folder (``framing.runs.folders.Run.write_manifest``).
MANIFEST_FILE = "manifest.json"
#: Files ``framing annotate import`` writes into its folder (``framing.annotate.importing.write_import``).
IMPORT_FILES: dict[str, str] = {
    "agreement": "agreement.csv",
    "pairs": "agreement-pairs.csv",
    "coders": "coders.csv",
    "codes": "codes.csv",
    "disagreements": "disagreements.csv",
    "adjudicated": "adjudicated.csv",
    "labelled": "labelled.csv",
    "manifest": "import.json",
}
#: ``label_source`` of a labelled file: coded by people under this codebook.
LABEL_SOURCE_PREFIX = "coded:"
