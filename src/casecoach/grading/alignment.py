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
from typing import TYPE_CHECKING

from casecoach.grading.text import STOPWORDS, content_words, stem

if TYPE_CHECKING:
    from casecoach.grading.embedder import TokenVectors

# What an answer about something else scores: the median alignment recall of a labelled claim
# about another point of the same question against that point's description (data/claims,
# `python benchmarks/reference_calibration.py`). Recall is rescaled from here (0) to an
# identical text (1), as BERTScore rescales with a baseline of unrelated pairs.
ALIGNMENT_BASELINE = 0.21


def asked_words(prompt: str) -> set[str]:
    """Stems of the question's content words: saying them shows nothing."""
    return {stem(w) for w in content_words(prompt)}


def alignment_recall(
    reference: Sequence[TokenVectors],
    answer: Iterable[TokenVectors],
    asked: set[str],
    baseline: float = ALIGNMENT_BASELINE,
) -> float:
    """Mean best similarity of the reference's content tokens to the answer's tokens,
    rescaled so that an unrelated answer scores about 0 and the reference itself 1
    (`baseline=0` gives the raw mean)."""
    import numpy as np

    answer = [a for a in answer if len(a.words)]
    if not answer:
        return 0.0
    refs = [r.vectors[_content(r.words, asked)] for r in reference]
    if not any(len(v) for v in refs):  # only stopwords or the question's own words
        refs = [r.vectors for r in reference]
    refs = [v for v in refs if len(v)]
    if not refs:
        return 0.0
    ref = np.concatenate(refs)
    best = (ref @ np.concatenate([a.vectors for a in answer]).T).max(axis=1)
    recall = float(best.mean())
    return max(0.0, min(1.0, (recall - baseline) / (1.0 - baseline)))


def _content(words: Sequence[str], asked: set[str]) -> list[int]:
    return [
        i for i, w in enumerate(words)
        if len(w) > 1 and w not in STOPWORDS and stem(w) not in asked
    ]
