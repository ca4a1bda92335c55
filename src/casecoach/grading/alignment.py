"""How much of a reference an answer says, word by word, in its words or its own.

For questions graded against a reference answer alone. Sentence similarity blurs a short
answer's one decisive word, and shared words miss synonyms ("the first element added is the
first taken out" for "first-in, first-out"). Here each content word of the reference is
matched with the answer's closest token, both read in context by MiniLM (the token vectors
the sentence vectors are pooled from), and the similarities are averaged: BERTScore's recall
(Zhang et al., 2020). Words the question already gives away are left out of the reference's
side ("question demoting", after Sultan et al., 2016).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from casecoach.grading.text import STOPWORDS, content_words, stem

if TYPE_CHECKING:
    from casecoach.grading.embedder import TokenVectors

# What an answer about something else scores: the median alignment recall of a labelled claim
# about another point of the same question against that point's description (data/claims,
# `python benchmarks/reference_calibration.py`). Recall is rescaled from here (0) to an
# identical text (1), as BERTScore rescales with a baseline of unrelated pairs.
ALIGNMENT_BASELINE = 0.21
# For the feedback only: a reference word counts as said when some token of the answer is this
# close to it in context (the same word scores 0.7-0.9, a near synonym about 0.5).
MATCHED = 0.5


def asked_words(prompt: str) -> set[str]:
    """Stems of the question's content words: saying them shows nothing."""
    return {stem(w) for w in content_words(prompt)}


@dataclass(frozen=True)
class Alignment:
    """How much of the reference an answer says, and which of its words it does not."""

    recall: float  # mean best similarity of the reference's content tokens
    unmatched: tuple[str, ...]  # reference content words with no close match in the answer

    @property
    def score(self) -> float:
        """Recall rescaled so that an unrelated answer scores about 0 and the reference 1."""
        return rescale(self.recall)


def rescale(recall: float, baseline: float = ALIGNMENT_BASELINE) -> float:
    return max(0.0, min(1.0, (recall - baseline) / (1.0 - baseline)))


def align(
    reference: Sequence[TokenVectors], answer: Iterable[TokenVectors], asked: set[str]
) -> Alignment:
    """Match each content token of the reference with the answer's closest token."""
    import numpy as np

    answer = [a for a in answer if len(a.words)]
    kept = [(r, _content(r.words, asked)) for r in reference]
    if not any(index for _, index in kept):  # only stopwords or the question's own words
        kept = [(r, list(range(len(r.words)))) for r in reference]
    words = [r.words[i] for r, index in kept for i in index]
    if not answer or not words:
        return Alignment(0.0, tuple(dict.fromkeys(words)))
    ref = np.concatenate([r.vectors[index] for r, index in kept if index])
    best = (ref @ np.concatenate([a.vectors for a in answer]).T).max(axis=1)
    # A word can be split into pieces: it is matched when its best piece is.
    said: dict[str, float] = {}
    for word, similarity in zip(words, best, strict=True):
        said[word] = max(said.get(word, -1.0), float(similarity))
    return Alignment(
        recall=float(best.mean()),
        unmatched=tuple(w for w, similarity in said.items() if similarity < MATCHED),
    )


def _content(words: Sequence[str], asked: set[str]) -> list[int]:
    return [
        i for i, w in enumerate(words)
        if len(w) > 1 and w not in STOPWORDS and stem(w) not in asked
    ]
