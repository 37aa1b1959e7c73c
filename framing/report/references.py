"""The works a report's methods paragraph cites: each method and data source the run used.

:func:`cite` gives the in-text citation of a key ("Monroe et al. 2008") and records the key, so the
methods section can list exactly the references its text cites, in the order first cited.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: key -> (in-text citation, full reference).
REFERENCES: dict[str, tuple[str, str]] = {
    "bootstrap": (
        "Efron & Tibshirani 1993",
        "Efron, B., & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. Chapman & Hall/CRC.",
    ),
    "permutation": (
        "Good 2005",
        "Good, P. I. (2005). Permutation, Parametric, and Bootstrap Tests of Hypotheses (3rd ed.). "
        "Springer.",
    ),
    "mannwhitney": (
        "Mann & Whitney 1947",
        "Mann, H. B., & Whitney, D. R. (1947). On a test of whether one of two random variables is "
        "stochastically larger than the other. The Annals of Mathematical Statistics, 18(1), 50-60.",
    ),
    "cliff": (
        "Cliff 1993",
        "Cliff, N. (1993). Dominance statistics: Ordinal analyses to answer ordinal questions. "
        "Psychological Bulletin, 114(3), 494-509.",
    ),
    "bh": (
        "Benjamini & Hochberg 1995",
        "Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate: A practical and "
        "powerful approach to multiple testing. Journal of the Royal Statistical Society: Series B, "
        "57(1), 289-300.",
    ),
    "logodds": (
        "Monroe, Colaresi & Quinn 2008",
        "Monroe, B. L., Colaresi, M. P., & Quinn, K. M. (2008). Fightin' words: Lexical feature "
        "selection and evaluation for identifying the content of political conflict. Political "
        "Analysis, 16(4), 372-403.",
    ),
    "minilm": (
        "Wang et al. 2020",
        "Wang, W., Wei, F., Dong, L., Bao, H., Yang, N., & Zhou, M. (2020). MiniLM: Deep "
        "self-attention distillation for task-agnostic compression of pre-trained transformers. "
        "Advances in Neural Information Processing Systems 33.",
    ),
    "sbert": (
        "Reimers & Gurevych 2019",
        "Reimers, N., & Gurevych, I. (2019). Sentence-BERT: Sentence embeddings using Siamese "
        "BERT-networks. Proceedings of EMNLP-IJCNLP 2019.",
    ),
    "newsmtsc": (
        "Hamborg & Donnay 2021",
        "Hamborg, F., & Donnay, K. (2021). NewsMTSC: A dataset for (multi-)target-dependent "
        "sentiment classification in political news articles. Proceedings of EACL 2021.",
    ),
    "park": (
        "Park, Pan & Joo 2021",
        "Park, K., Pan, Z., & Joo, J. (2021). Who blames or endorses whom? Entity-to-entity directed "
        "sentiment analysis in news text. Findings of ACL-IJCNLP 2021.",
    ),
    "allsides": (
        "Baly et al. 2020",
        "Baly, R., Da San Martino, G., Glass, J., & Nakov, P. (2020). We can detect your bias: "
        "Predicting the political ideology of news articles. Proceedings of EMNLP 2020, 4982-4991.",
    ),
}

#: Training-data prefixes of a model's training record ("newsmtsc:train") -> (what, reference
#: keys). Coded sets of this project cite their codebook, not a publication.
TRAINING_SOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "newsmtsc": ("NewsMTSC sentences coded for sentiment toward people", ("newsmtsc",)),
    "state": ("the state-stance set coded with codebook-state-v1 (AllSides and DpgMedia2019 "
              "sentences; see its data card)", ("allsides",)),
    "park": ("the state-target rows of the directed-sentiment set", ("park",)),
}


class Citations:
    """In-text citations of one report, remembered in the order first cited."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def cite(self, *keys: str) -> str:
        """"(A 2001; B 2002)" for the keys, each recorded once.

        >>> c = Citations()
        >>> c.cite("bh"), c.cite("bh", "cliff"), c.keys
        ('(Benjamini & Hochberg 1995)', '(Benjamini & Hochberg 1995; Cliff 1993)', ['bh', 'cliff'])
        """
        for key in keys:
            if key not in self.keys:
                self.keys.append(key)
        return "(" + "; ".join(REFERENCES[k][0] for k in keys) + ")"

    def listed(self) -> list[str]:
        """The full references cited, in the order first cited."""
        return [REFERENCES[k][1] for k in self.keys]


def model_sentence(model: Mapping[str, Any] | None, cite: Citations) -> str:
    """What the model is and what it learnt from, with citations; "" without a model record.

    >>> model_sentence({"name": "m", "base_model": "", "train": ["newsmtsc:train"]}, Citations())[:60]
    'The model m fine-tunes all-MiniLM-L6-v2 (Wang et al. 2020; R'
    """
    if not isinstance(model, Mapping) or not model.get("name"):
        return ""
    text = (f"The model {model['name']} fine-tunes all-MiniLM-L6-v2 {cite.cite('minilm', 'sbert')}"
            + (f", going on from {model['base_model']}" if model.get("base_model") else ""))
    sources = _sources(model.get("train") or (), cite)
    if sources:
        text += f"; it was trained on {', '.join(sources)}"
    elif str(model.get("label_source") or "").startswith("weak") or _weak(model):
        text += "; it was trained on weak labels of the lexicon (not on coded data)"
    return text + "."


def _weak(model: Mapping[str, Any]) -> bool:
    label = model.get("label_source")
    return isinstance(label, list) and any(str(x).startswith("weak") for x in label)


def _sources(train: Iterable[Any], cite: Citations) -> list[str]:
    out: list[str] = []
    for item in train:
        prefix = str(item).split(":", 1)[0]
        if prefix in TRAINING_SOURCES:
            what, keys = TRAINING_SOURCES[prefix]
            shown = f"{what} {cite.cite(*keys)}"
            if shown not in out:
                out.append(shown)
    return out
