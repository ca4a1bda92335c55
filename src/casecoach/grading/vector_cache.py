"""Embeddings of a case's own texts, kept on disk so a cold `casecoach grade` stays fast.

Grading one answer compares it with hundreds of case texts (phrasings, red flags, ideal answer
sentences, the other questions' rubrics). Encoding them takes about a second on a laptop CPU;
reading them back takes milliseconds. The file is keyed by the model's weights and the case's
content, so an edited case or another model never reads stale vectors. Answers are never
written here.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from casecoach.cases.schema import Case
from casecoach.grading.text import split_units

FORMAT = 1

Encoder = Callable[[list[str]], np.ndarray]


def case_texts(case: Case) -> Iterator[str]:
    """Every text of a case the grader embeds."""
    yield case.scenario
    for question in case.questions:
        yield question.prompt
        yield question.ideal_answer
        yield from split_units(question.ideal_answer)
        if question.rubric is None:
            continue
        for criterion in question.rubric.criteria:
            yield from criterion.phrasings
        for flag in question.rubric.red_flags:
            yield from flag.phrasings


def _key(case: Case, model_id: str) -> str:
    content = json.dumps(case.model_dump(mode="json"), sort_keys=True)
    digest = hashlib.sha256(f"{FORMAT}\n{model_id}\n{content}".encode()).hexdigest()
    return f"{case.id}-{digest[:16]}"


def load_or_build(
    case: Case, folder: Path, model_id: str, encode: Encoder
) -> dict[str, np.ndarray]:
    """The case's text vectors, read from `folder` or encoded once and saved there."""
    path = folder / f"{_key(case, model_id)}.npz"
    try:
        with np.load(path, allow_pickle=False) as data:
            return dict(zip(data["texts"].tolist(), data["vectors"], strict=True))
    except (OSError, ValueError, KeyError):
        pass  # missing or unreadable: rebuild it
    texts = list(dict.fromkeys(case_texts(case)))
    vectors = encode(texts)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".npz.tmp")
        with os.fdopen(fd, "wb") as out:
            np.savez(out, texts=np.array(texts), vectors=vectors)
        os.replace(tmp, path)  # readers see the whole file or none
    except OSError:
        pass  # a read-only home only costs speed
    return dict(zip(texts, vectors, strict=True))
