"""The embedded grader: offline, on the CPU, deterministic, and explainable point by point.

How a grade is made:

1. The answer is cut into units (sentences, bullet items, clauses of long sentences).
2. Each rubric criterion earns credit from the unit that best matches one of its example
   phrasings (MiniLM cosine), with a bonus when the unit also uses the criterion's keywords.
   That unit is the quote shown to the candidate.
3. Coverage of the ideal answer's sentences is blended in, so a point the rubric words
   differently still counts.
4. Red flags (known mistakes) cap the grade, unless the answer names the mistake to reject it.
   The rubric's own red flags are matched by meaning; method mistakes any answer can make
   (peeking, subgroup fishing, a null read as no effect, ...) by their wording, which meaning
   alone cannot tell from the correct method (`casecoach.grading.mistakes`).
5. Gates catch answers that are not answers: term lists, "I don't know", the question restated,
   another topic, or a decent answer to a different question of the same case.

Units that only name terms from several rubric points (or bare words from several sentences of
a reference), or restate the question, earn nothing:
appending buzzwords or the question's own words to an answer must not raise its grade.

A question with only a reference answer is graded the same way, with key points derived from
the reference's sentences in place of rubric criteria.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from casecoach.cases.schema import Case, Question
from casecoach.grading.alignment import Alignment, align, asked_words
from casecoach.grading.grade import (
    CannotGrade,
    CriterionResult,
    Grade,
    RedFlagHit,
    Status,
    level_for,
)
from casecoach.grading.protocol import GradingTask
from casecoach.grading.results import (
    Misread,
    StatedResult,
    case_results,
    misread_results,
    stated_results,
)
from casecoach.grading.text import (
    DONT_KNOW,
    WordIndex,
    content_words,
    keyword_share,
    list_items,
    list_shape,
    negations,
    normalize,
    split_units,
    stem,
    stopword_share,
    term_run,
    vague,
    words,
)

# Cosine similarities of all-MiniLM-L6-v2 between an answer unit and an example phrasing.
# Below SIM_LOW the unit says something else; from SIM_HIGH on it makes the same point.
SIM_LOW = 0.35
SIM_HIGH = 0.62
KEYWORD_BONUS = 0.08  # per distinct keyword in the unit, at most three
# Share of the rubric's weight that earns a 5: senior answers take different routes and
# no one covers every point a rubric lists.
FULL_COVERAGE = 0.8
# Key points cut from a reference's sentences include its elaboration, so a correct answer in
# other words covers less of them than of a rubric: graded against the built-in ideal answers
# alone (key points and word alignment), correct answers in unusual words reach a median
# coverage of 0.52 where rubrics give them 4.5 and more. This maps that median to 4.5
# (benchmarks/reference_calibration.py); it was set on the project's own answers, not on any
# labelled development set.
FULL_COVERAGE_REFERENCE = 0.6
ALIGNMENT_WORDS_SHOWN = 8  # reference words listed as not said, at most
MET = 0.7  # credit from which a criterion counts as met
PARTLY = 0.3
RED_FLAG_SIM = 0.66
RED_FLAG_MARGIN = 0.03
GENERIC_CAP = 2.5  # at most "weak" for a case answer that uses none of the case's numbers
SHORT_REFERENCE_POINTS = 2  # a reference this short is graded with whole-answer evidence too
RUBRIC_SHARE = 0.65  # the rest of coverage comes from the ideal answer's sentences
# Off topic: the answer as a whole is far from the question, case and ideal answer, and
# most of its words appear nowhere in them.
OFF_TOPIC_SIM = 0.42
OFF_TOPIC_SHARE = 0.4
OFF_TOPIC_MIN_WORDS = 8  # content words an answer needs before it can be judged off-topic
OTHER_QUESTION_MARGIN = 0.12
COPY_SIM = 0.8
COPY_WORDS_SIM = 0.6
REPEAT_SIM = 0.9  # a unit this close to a sentence of the question repeats it
NOVEL_SHARE = 0.25  # below this share of words not in the question, a text restates it
# A reworded restatement ("I would propose goals and metrics and justify them to stakeholders")
# is close to the question, adds few words of its own and nothing specific: no number. Among
# 1,934 units of ideal and correct answers, 3 are this close without a number.
ECHO_SIM = 0.7
ECHO_NOVEL_SHARE = 0.75
# A run of terms naming keywords of this many rubric points is buzzwords: a comma list of two
# points' terms, or three for a terse phrase ("Pre-checks: SRM, covariate balance" is one).
BUZZ_POINTS = {"list": 2, "run": 3}
BUZZ_WORD_SHARE = 0.5  # ... or when half of a unit's words are rubric keywords (four
# in five, when it names two points)
# Without a rubric: a list or run copied from the reference is buzzwords when its words come
# from this many of the reference's sentences ...
REFERENCE_BUZZ_POINTS = 2
REFERENCE_WORD_ITEMS = 0.75  # ... and this share of its items are the reference's own words
REFERENCE_RUN_STOPWORDS = 0.1  # a run has next to no function words (prose has a third)
BUZZ_ITEM_SHARE = 0.5  # ... and, for a list, when at least this share of its items are terms


@dataclass(frozen=True)
class Point:
    """Something the answer should say: a rubric criterion, or a key point of a reference."""

    id: str
    description: str
    weight: float
    phrasings: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    hint: str | None = None


@dataclass(frozen=True)
class Flag:
    id: str
    description: str
    penalty: float
    phrasings: tuple[str, ...]
    detector: str | None = None  # a wording detector that also finds this mistake
    signs: tuple[tuple[str, ...], ...] = ()  # the author's word patterns for this mistake


@dataclass
class _Units:
    """An answer's units with their embeddings and word sets, computed once per answer."""

    texts: tuple[str, ...]
    vectors: np.ndarray
    indexes: list[WordIndex] = field(default_factory=list)
    void: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # earn nothing
    # earn no criterion but are still read for mistakes and count as said
    vague: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    _matches: dict[str, np.ndarray] = field(default_factory=dict)

    def matches(self, keyword: str) -> np.ndarray:
        """Per unit, whether it uses the keyword; computed once per answer and keyword (the
        other-question gate reads every question's keywords)."""
        found = self._matches.get(keyword)
        if found is None:
            found = np.array([index.uses(keyword) for index in self.indexes], dtype=bool)
            self._matches[keyword] = found
        return found


def _ramp(sim: float) -> float:
    return float(min(1.0, max(0.0, (sim - SIM_LOW) / (SIM_HIGH - SIM_LOW))))


def _penalty(penalty: float, detector: str | None) -> float:
    """A flag that names a detector is its mistake, so it is at least as serious as the
    detector however it is found (by its signs, its phrasings or the detector)."""
    if detector is None:
        return penalty
    from casecoach.grading.mistakes import MISTAKE_PENALTIES

    return max(penalty, MISTAKE_PENALTIES.get(detector, penalty))


def points_for(question: Question) -> tuple[list[Point], list[Flag]]:
    """The points to look for: the rubric's criteria, or key points derived from the ideal."""
    if question.rubric is not None:
        points = [
            Point(c.id, c.description, c.weight, tuple(c.phrasings), tuple(c.keywords), c.hint)
            for c in question.rubric.criteria
        ]
        flags = [
            Flag(
                r.id, r.description, _penalty(r.penalty, r.detector), tuple(r.phrasings),
                r.detector, tuple(tuple(sign) for sign in r.signs),
            )
            for r in question.rubric.red_flags
        ]
        return points, flags
    return derive_key_points(question.ideal_answer), []


def derive_key_points(reference: str) -> list[Point]:
    """Key points of a reference answer: its sentences, weighted by how much they carry."""
    points: list[Point] = []
    for i, unit in enumerate(split_units(reference), start=1):
        content = content_words(unit)
        if len(content) < 2:
            continue
        points.append(
            Point(
                id=f"point-{i}",
                description=unit,
                weight=float(min(3.0, 0.5 + len(set(content)) / 6)),
                phrasings=(unit,),
                keywords=(),
                hint=f"The reference makes this point: {unit}",
            )
        )
    if not points and reference.strip():  # a one-line reference is one key point
        text = " ".join(reference.split())
        points.append(Point("point-1", text, 1.0, (text,), (), f"The reference says: {text}"))
    return points


class EmbeddedGrader:
    """The default grader: MiniLM sentence matching against the rubric, plus junk gates."""

    name = "embedded"
    version = "0.1.0"

    def __init__(self, cache_dir: Path | None = None) -> None:
        from casecoach.grading.embedder import MODEL_SHA256, get_embedder

        self._embedder = get_embedder()
        self._model_id = MODEL_SHA256
        self._cache_dir = cache_dir
        self._known: dict[str, np.ndarray] = {}  # case texts, loaded from the vector cache
        self._primed: set[int] = set()
        # One thread builds a case's vectors while the others wait for them (the web app
        # grades in a thread pool; without it each first grade would encode the same texts).
        self._prime_lock = threading.Lock()

    def _encode(self, texts: tuple[str, ...] | list[str]) -> np.ndarray:
        missing = [t for t in texts if t not in self._known]
        if not missing:
            return np.stack([self._known[t] for t in texts])
        if len(missing) == len(texts):
            return self._embedder.encode(list(texts))
        fresh = dict(zip(missing, self._embedder.encode(missing), strict=True))
        return np.stack([self._known[t] if t in self._known else fresh[t] for t in texts])

    def _prime(self, case: Case) -> None:
        """Load the case's text vectors from the on-disk cache (built on first use)."""
        if id(case) in self._primed:
            return
        from casecoach.grading.vector_cache import load_or_build
        from casecoach.paths import cache_dir

        with self._prime_lock:
            if id(case) in self._primed:
                return
            folder = self._cache_dir or cache_dir()
            vectors = load_or_build(case, folder, self._model_id, self._embedder.encode)
            self._known = {**self._known, **vectors}  # readers never see a half-updated dict
            self._primed.add(id(case))

    def _units(self, answer: str, *, with_tokens: bool = False) -> _Units:
        texts = split_units(answer)
        if not texts:
            raise CannotGrade("the answer has no words to grade")
        if with_tokens:  # the same run caches the sentence vectors that _encode reads
            self._embedder.tokens(texts)
        indexes = [WordIndex.of(text) for text in texts]
        return _Units(texts=texts, vectors=self._encode(texts), indexes=indexes,
                      vague=np.array([vague(text) for text in texts], dtype=bool))

    def _keyword_hits(self, units: _Units, i: int, keywords: tuple[str, ...]) -> int:
        return sum(bool(units.matches(k)[i]) for k in keywords)

    def _evidence(self, units: _Units, point: Point) -> np.ndarray:
        """Per unit, how strongly it makes the point: similarity plus a keyword bonus."""
        evidence = (units.vectors @ self._encode(point.phrasings).T).max(axis=1)
        if point.keywords:
            hits = np.sum([units.matches(k) for k in point.keywords], axis=0)
            evidence += KEYWORD_BONUS * np.minimum(hits, 3)
        evidence[units.void | units.vague] = 0.0
        return evidence

    @staticmethod
    def _assign(units: _Units, evidence: np.ndarray) -> list[int]:
        """For each point, the unit credited with it (-1 for none).

        A sentence makes one point, two or three if it is long: without this limit one
        on-topic sentence would earn half a rubric. Strongest matches are assigned first.
        """
        capacity = [min(3, 1 + len(t.split()) // 15) for t in units.texts]
        assigned = [-1] * evidence.shape[0]
        order = np.dstack(np.unravel_index(np.argsort(-evidence, axis=None), evidence.shape))[0]
        for p, u in order:
            if assigned[p] == -1 and capacity[u] > 0:
                assigned[p] = int(u)
                capacity[u] -= 1
        return assigned

    def _coverage(
        self, units: _Units, points: list[Point]
    ) -> tuple[float, list[CriterionResult], np.ndarray]:
        """Weighted share of the points made, one result per point, and per unit the best
        similarity to any point (how "right" each unit sounds)."""
        results: list[CriterionResult] = []
        total = sum(p.weight for p in points) or 1.0
        earned = 0.0
        evidence = np.stack([self._evidence(units, point) for point in points])
        right = evidence.max(axis=0)
        for point, best, row in zip(points, self._assign(units, evidence), evidence, strict=True):
            credit = _ramp(float(row[best])) if best >= 0 else 0.0
            earned += point.weight * credit
            status: Status = "met" if credit >= MET else "partly" if credit >= PARTLY else "missed"
            results.append(
                CriterionResult(
                    id=point.id,
                    description=point.description,
                    weight=point.weight,
                    status=status,
                    quote=units.texts[best] if status != "missed" else None,
                    hint=point.hint,
                )
            )
        return earned / total, results, right

    def _ideal_coverage(self, units: _Units, ideal: str) -> tuple[float, np.ndarray]:
        """Share of the ideal answer's sentences the answer matches, and per unit the best
        similarity to one of them."""
        ideal_units = [u for u in split_units(ideal) if len(content_words(u)) >= 3]
        if not ideal_units:
            return 0.0, np.zeros(len(units.texts))
        sims = self._encode(ideal_units) @ units.vectors.T
        sims[:, units.void | units.vague] = 0.0
        coverage = float(np.mean([_ramp(float(s)) for s in sims.max(axis=1)]))
        return coverage, sims.max(axis=0)

    def _red_flags(
        self, units: _Units, flags: list[Flag], right: np.ndarray
    ) -> list[RedFlagHit]:
        """Known mistakes the answer makes: close to a red-flag phrasing, clearly closer than
        to anything right, and not said in order to reject it."""
        hits: list[RedFlagHit] = []
        for flag in flags:
            sims = units.vectors @ self._encode(flag.phrasings).T
            per_unit = sims.max(axis=1)
            for i in np.argsort(-per_unit):
                if per_unit[i] < RED_FLAG_SIM:
                    break
                if per_unit[i] < right[i] + RED_FLAG_MARGIN:
                    continue
                phrasing = flag.phrasings[int(np.argmax(sims[i]))]
                if negations(units.texts[i]) > negations(phrasing):
                    continue  # "we would not compare adopters with non-adopters"
                hits.append(
                    RedFlagHit(
                        id=flag.id,
                        description=flag.description,
                        penalty=flag.penalty,
                        quote=units.texts[i],
                    )
                )
                break
        return hits

    def _short_reference_coverage(self, task: GradingTask, point_coverage: float) -> float:
        """Coverage of a one- or two-sentence reference, from three kinds of evidence.

        With one key point, point coverage is a single similarity. It is averaged with the
        whole answer's similarity to the reference (on the same ramp) and with word overlap in
        both directions: the share of the reference's words the answer uses, and the share of
        the answer's words the reference uses. Words the question already gives away are left
        out of both ("question demoting", after Sultan et al. 2016). No weight is fitted.
        """
        reference = task.question.ideal_answer
        answer_vec, reference_vec = self._encode([task.answer, reference])
        similarity = _ramp(float(answer_vec @ reference_vec))
        asked = {stem(w) for w in content_words(task.question.prompt)}
        key_words = {stem(w) for w in content_words(reference)}
        key_words = (key_words - asked) or key_words
        used = {stem(w) for w in content_words(task.answer)}
        recall = len(key_words & used) / len(key_words) if key_words else 0.0
        own = used - asked
        precision = len(own & key_words) / len(own) if own else 0.0
        return (point_coverage + similarity + recall + precision) / 4

    def _restated(self, units: _Units, question: Question) -> np.ndarray:
        """Units that repeat the question: nearly its sentence and mostly its words, or close
        to it in other words with nothing specific added.

        Looser than the whole-answer gate: a story answer rightly retells the question's
        numbers in its own sentences, and those keep their credit.
        """
        prompt_texts = [question.prompt, *split_units(question.prompt)]
        sims = (units.vectors @ self._encode(prompt_texts).T).max(axis=1)
        prompt_words = set(content_words(question.prompt))
        out = np.zeros(len(units.texts), dtype=bool)
        for i, text in enumerate(units.texts):
            unit_words = content_words(text)
            novel = sum(w not in prompt_words for w in unit_words) / max(1, len(unit_words))
            repeat = sims[i] >= REPEAT_SIM and novel < NOVEL_SHARE
            echo = (
                sims[i] >= ECHO_SIM
                and novel < ECHO_NOVEL_SHARE
                and not any(ch.isdigit() for ch in text)
            )
            out[i] = repeat or echo
        return out

    @staticmethod
    def _reference_padding(units: _Units, question: Question) -> np.ndarray:
        """Units of a reference-only answer made of the question's own words and no other,
        when the rest of the answer says something: the question pasted back. (An answer of
        nothing else is left to the gates: a short answer may be the question's words.)"""
        asked = set(content_words(question.prompt))
        out = np.array(
            [bool(said) and all(w in asked for w in said)
             for said in map(content_words, units.texts)],
            dtype=bool,
        )
        return out if not out.all() else np.zeros(len(units.texts), dtype=bool)

    @staticmethod
    def _reference_terms(units: _Units, points: list[Point], question: Question) -> np.ndarray:
        """Units of a reference-only answer that string together words or phrases copied from
        several of the reference's sentences: "Key concepts: rear, order, removed, pointer."
        names them without saying anything about them.

        Without a rubric the reference's own words play the keywords' part, but a good
        answer's sentences are made of them too, so only lists and runs of words count, and
        only copies: a strong answer's list is in its own phrases ("pipeline delays, model
        updates, entry point changes") and may draw on as many of the reference's sentences.
        As for the question pasted back, an answer of nothing else is left to the gates.
        """
        asked = asked_words(question.prompt)
        sentences = [{stem(w) for w in content_words(p.description)} - asked for p in points]
        reference = f" {' '.join(content_words(question.ideal_answer))} "
        out = np.zeros(len(units.texts), dtype=bool)
        for i, text in enumerate(units.texts):
            tokens = words(text)
            if term_run(text) == "list":
                items = [content_words(item) for item in list_items(text)]
                items = [item for item in items if item]
            elif len(tokens) >= 4 and stopword_share(tokens) <= REFERENCE_RUN_STOPWORDS:
                # Words strung together, each an item; numbers do not make it a specification.
                items = [[w] for w in content_words(text)]
            else:
                continue  # a statement, terse or not ("A holdout lets us see the effect.")
            copied = sum(f" {' '.join(item)} " in reference for item in items)
            if copied < REFERENCE_WORD_ITEMS * len(items):
                continue  # a list in the answer's own phrases ("pipeline delays") says things
            found = {stem(w) for item in items for w in item}
            out[i] = _sentences_to_cover(found, sentences) >= REFERENCE_BUZZ_POINTS
        return out if not out.all() else np.zeros(len(units.texts), dtype=bool)

    def _buzzwords(self, units: _Units, points: list[Point]) -> np.ndarray:
        """Units that list terms of several rubric points without saying anything about them.

        Naming "CUPED, guardrails, novelty effect" is not making those points. A list about one
        point ("guardrails: spam reports, leaves, opt-outs"), or one whose items are mostly the
        case's own specifics rather than rubric terms, is content and keeps its credit.
        """
        keywords = [k for p in points for k in p.keywords]
        out = np.zeros(len(units.texts), dtype=bool)
        for i, text in enumerate(units.texts):
            named = sum(1 for p in points if self._keyword_hits(units, i, p.keywords))
            share = keyword_share(text, keywords) if named >= 2 else 0.0
            if (named >= BUZZ_POINTS["run"] and share >= BUZZ_WORD_SHARE) or share >= 0.8:
                out[i] = True  # rubric terms strung together, whatever the punctuation
                continue
            shape = term_run(text)
            if shape is None:
                continue
            if named < BUZZ_POINTS[shape]:
                continue
            if shape == "list":
                items = list_items(text)
                terms = sum(1 for item in items if WordIndex.of(item).uses_any(keywords))
                out[i] = terms >= BUZZ_ITEM_SHARE * len(items)
            else:
                out[i] = True
        return out

    def _question_fit(self, units: _Units, question: Question) -> float:
        points, _ = points_for(question)
        coverage, _, _ = self._coverage(units, points)
        return coverage

    def grade(self, task: GradingTask) -> Grade:
        task.check()
        if task.case is not None:
            self._prime(task.case)
        question = task.question
        units = self._units(task.answer, with_tokens=question.rubric is None)
        points, flags = points_for(question)
        if not points:
            raise CannotGrade("the question has no rubric and its reference answer is too short")
        units.void = self._buzzwords(units, points)
        if question.rubric is not None:
            # A short answer to a reference-only question often repeats the question around
            # its one new word ("The stack operation for enqueue is push"): only case answers
            # lose repeated sentences.
            units.void |= self._restated(units, question)
        else:
            units.void |= self._reference_padding(units, question)
            units.void |= self._reference_terms(units, points, question)

        # Read once, from the units as said (the feedback pass below voids more of them).
        alignment = self._aligned(task, units) if question.rubric is None else None
        coverage, rubric_coverage, results, right = self._overall(task, units, points, alignment)
        # How well the answer makes the points: for a reference-only question, all of the
        # evidence (a one-word reference is matched by its word better than by similarity).
        fit = rubric_coverage if question.rubric is not None else coverage

        red_flags = self._red_flags(units, flags, right)
        stated = case_results(task.case) if task.case else stated_results(question.prompt)
        red_flags = _method_mistakes(units, flags, red_flags, stated)
        serious = [f for f in red_flags if f.penalty >= 1.0]
        full = FULL_COVERAGE
        if question.rubric is None and len(points) > SHORT_REFERENCE_POINTS:
            full = FULL_COVERAGE_REFERENCE
        score = 1.0 + 4.0 * min(1.0, coverage / full)
        notes: list[str] = []
        committed = _quoted(units, serious)
        if committed.any():
            # A sentence that makes a serious mistake is no evidence for any criterion:
            # similarity would credit "the A/B showed -0.6%, so the model isn't behind the
            # drop" with the very point it gets wrong ("explains why the A/B does not clear
            # the model"). The grade is the cap below either way; the feedback stops praising
            # the mistake. (Scoring the rest alone graded partial answers below the experts.)
            said = units.void
            units.void = said | committed
            _, _, results, _ = self._overall(task, units, points, alignment)
            units.void = said  # the gates read the answer as it was said
        minor = sum(f.penalty for f in red_flags if f.penalty < 1.0)
        score -= minor
        if serious:
            flag_cap = max(1.0, 3.0 - 0.5 * sum(f.penalty for f in serious))
            if score > flag_cap:
                score = flag_cap
                notes.append("A methodological mistake caps this grade; see the red flags.")

        cap, reason = self._gate(task, units, fit)
        if cap is not None:  # said even when the score is already low: it is the reason
            score = min(score, cap)
            notes.append(reason)
        elif _ignores_the_numbers(task, units) and score > GENERIC_CAP:
            score = GENERIC_CAP
            notes.append(
                "The answer could be about any product: it uses none of the case's numbers. "
                "A strong answer works with the baselines, sizes and costs the case gives."
            )
        if alignment is not None and cap is None:  # the half of the grade no criterion shows
            notes.append(_alignment_note(alignment))
        filler = int(np.sum(units.vague & ~units.void))
        if filler:
            notes.append(
                "Sentences that only promise rigour (\"robust\", \"holistic\", \"leverage\"…) "
                f"earn no credit ({filler} here): say the method, the number or the threshold "
                "instead."
            )

        score = float(min(5.0, max(1.0, score)))
        return Grade(
            score=round(score, 2),
            level=level_for(score),
            criteria=results,
            red_flags=red_flags,
            notes=notes,
            follow_up=choose_follow_up(question, results),
            grader=self.name,
            grader_version=self.version,
        )

    def _overall(
        self, task: GradingTask, units: _Units, points: list[Point],
        alignment: Alignment | None,
    ) -> tuple[float, float, list[CriterionResult], np.ndarray]:
        """Coverage of the question as a whole, coverage of its points alone, one result per
        point, and per unit how "right" it sounds (its best match to a point or ideal).
        `alignment` is the word alignment of a reference-only answer (None with a rubric)."""
        question = task.question
        rubric_coverage, results, right = self._coverage(units, points)
        if question.rubric is not None:
            ideal_coverage, ideal_right = self._ideal_coverage(units, question.ideal_answer)
            right = np.maximum(right, ideal_right)
            coverage = RUBRIC_SHARE * rubric_coverage + (1 - RUBRIC_SHARE) * ideal_coverage
        else:
            # Half of it is how much of the reference the answer says word by word: key points
            # and word shares miss paraphrase, which the alignment of words in context reads.
            if len(points) <= SHORT_REFERENCE_POINTS:
                coverage = self._short_reference_coverage(task, rubric_coverage)
            else:
                coverage = rubric_coverage
            assert alignment is not None, "a reference-only question is graded with alignment"
            coverage = (coverage + alignment.score) / 2
        return coverage, rubric_coverage, results, right

    def _aligned(self, task: GradingTask, units: _Units) -> Alignment:
        """How much of the reference the answer's units that earn credit say, word by word."""
        reference = split_units(task.question.ideal_answer) or (task.question.ideal_answer,)
        counted = ~(units.void | units.vague)
        said = [text for text, ok in zip(units.texts, counted, strict=True) if ok]
        tokens = self._embedder.tokens([*reference, *said])
        return align(
            tokens[: len(reference)], tokens[len(reference) :], asked_words(task.question.prompt)
        )

    def _gate(
        self, task: GradingTask, units: _Units, fit: float
    ) -> tuple[float | None, str]:
        """Answers that are not answers to this question, whatever words they share with it."""
        answer = task.answer
        shape = list_shape(answer)
        if shape.is_term_list:
            return 1.0, "A list of terms is not an answer: say what you would do and why."
        # "Not sure I follow, but it hashes the key..." hedges and still answers: the gate
        # is for a short hedge that makes none of the points.
        hedged = DONT_KNOW.search(normalize(answer)) is not None
        if hedged and len(words(answer)) < 80 and fit < PARTLY:
            return 1.0, "The answer does not attempt the question."
        keep = ~units.void
        if not keep.any():
            return 1.0, "The answer restates the question or lists terms; say what you would do."
        # The gates read what is left once restated and buzzword units are set aside, so
        # appending the question or a list of terms cannot carry a non-answer past them.
        answer = " ".join(t for t, k in zip(units.texts, keep, strict=True) if k)
        answer_vec = units.vectors[keep].mean(axis=0)
        answer_vec = answer_vec / (np.linalg.norm(answer_vec) or 1.0)
        prompt_vec = self._encode([task.question.prompt])[0]
        prompt_sim = float(answer_vec @ prompt_vec)
        prompt_words = set(content_words(task.question.prompt))
        answer_words = content_words(answer)
        novel = [w for w in answer_words if w not in prompt_words]
        # Restated: the question's meaning, and (unless nearly identical) mostly its words. A
        # short answer may reuse the question's words and still answer it.
        # "A variable is a location that stores a value" is close to "What is a variable?" in
        # meaning and still answers it: a restatement also adds few words of its own.
        novel_share = len(novel) / len(answer_words) if answer_words else 0.0
        restated = (prompt_sim >= COPY_SIM and novel_share < 2 * NOVEL_SHARE) or (
            prompt_sim >= COPY_WORDS_SIM and novel_share < NOVEL_SHARE
        )
        # Both gates are for answers that make none of the points: one that does is neither
        # a mere restatement nor about something else, whatever its words.
        if restated and fit < PARTLY:
            return 1.0, "The answer restates the question rather than answering it."
        context = [task.question.prompt, task.question.ideal_answer]
        if task.case is not None:
            context.append(task.case.scenario)
        topic_sim = float(np.max(self._encode(context) @ answer_vec))
        # The topic of a few words cannot be told from embeddings ("Refining." may well be
        # right); short answers are judged by their coverage alone.
        if (
            len(answer_words) >= OFF_TOPIC_MIN_WORDS
            and fit < PARTLY
            and topic_sim < OFF_TOPIC_SIM
            and _vocabulary_share(answer, task) < OFF_TOPIC_SHARE
        ):
            return 1.0, "The answer is about something other than this case."
        if task.case is not None:
            others = [q for q in task.case.questions if q.id != task.question.id]
            best_other = max((self._question_fit(units, q) for q in others), default=0.0)
            if best_other > fit + OTHER_QUESTION_MARGIN:
                return 1.25, "The answer addresses a different question of this case."
        return None, ""


def _sentences_to_cover(found: set[str], sentences: list[set[str]]) -> int:
    """How many of the reference's sentences it takes to hold these words (greedily)."""
    left, count = set(found), 0
    while left:
        best = max(sentences, key=lambda s: len(s & left))
        if not best & left:
            break
        left -= best
        count += 1
    return count


def _method_mistakes(
    units: _Units, flags: list[Flag], flagged: list[RedFlagHit],
    results: tuple[StatedResult, ...] = (),
) -> list[RedFlagHit]:
    """`flagged` plus the method mistakes found by their wording: the signs a rubric's red
    flags give, the built-in detectors, then the case's own results misread. A mistake a red
    flag names as its detector is reported as that flag; none is penalised twice (not when the
    flag was already found, nor when a flag already quotes the same words)."""
    from casecoach.grading.mistakes import MistakeHit, find_mistakes
    from casecoach.grading.wording import flag_signs, shows_sign

    said = [t for t, void in zip(units.texts, units.void, strict=True) if not void]
    by_detector = {f.detector: f for f in flags if f.detector}
    found = {hit.id for hit in flagged}
    quoted = {hit.quote for hit in flagged}
    hits: list[RedFlagHit] = []
    for flag in flags:
        if flag.signs and flag.id not in found:
            quote = shows_sign(said, flag_signs(flag.signs))
            if quote is not None:
                hits.append(RedFlagHit(id=flag.id, description=flag.description,
                                       penalty=flag.penalty, quote=quote))
                found.add(flag.id)
                quoted.add(quote)
    by_wording: list[MistakeHit | Misread] = [
        *find_mistakes(said, linked=frozenset(by_detector)), *misread_results(said, results)
    ]
    for m in by_wording:
        named = by_detector.get(m.id)
        if named is not None:
            if named.id in found:
                continue
            # Reported as the flag, whose penalty is already at least the detector's.
            hits.append(RedFlagHit(id=named.id, description=named.description,
                                   penalty=named.penalty, quote=m.quote))
            found.add(named.id)
        elif any(q in m.quote or m.quote in q for q in quoted):
            continue
        else:
            hits.append(RedFlagHit(id=m.id, description=m.description, penalty=m.penalty,
                                   quote=m.quote))
        quoted.add(m.quote)
    return [*flagged, *hits]


def _quoted(units: _Units, hits: list[RedFlagHit]) -> np.ndarray:
    """Per unit, whether one of the hits quotes it (a quote may span two units)."""
    quotes = [hit.quote for hit in hits if hit.quote]
    return np.array([any(text in quote for quote in quotes) for text in units.texts],
                    dtype=bool)


def _alignment_note(alignment: Alignment) -> str:
    note = (
        f"Half of this grade is how much of the reference the answer says, word by word: "
        f"{alignment.score:.0%}."
    )
    if alignment.unmatched:
        shown = ", ".join(alignment.unmatched[:ALIGNMENT_WORDS_SHOWN])
        more = len(alignment.unmatched) - ALIGNMENT_WORDS_SHOWN
        note += f" Nothing in it is close to: {shown}"
        note += f" (and {more} more)." if more > 0 else "."
    return note


def _ignores_the_numbers(task: GradingTask, units: _Units) -> bool:
    """A case answer with no number at all, when the case gives numbers to work with.

    The scale's top grades ask for specific answers, and every case states its baselines,
    sizes and costs so that answers can be. An answer without one number has not used them.
    Numbers in units that earn nothing (a pasted keyword list, the question) do not count.
    """
    if task.case is None or not any(ch.isdigit() for ch in task.case.scenario):
        return False
    earning = units.void | units.vague  # numbers in a pasted list or in filler do not count
    said = (t for t, out in zip(units.texts, earning, strict=True) if not out)
    return not any(ch.isdigit() for text in said for ch in text)


def _vocabulary_share(answer: str, task: GradingTask) -> float:
    """Share of the answer's content words found in the question, case, ideal and rubric."""
    question = task.question
    context = [question.prompt, question.ideal_answer]
    if task.case is not None:
        context.append(task.case.scenario)
    if question.rubric is not None:
        context.extend(p for c in question.rubric.criteria for p in c.phrasings)
    vocabulary = {stem(w) for text in context for w in content_words(text)}
    answer_words = [stem(w) for w in content_words(answer)]
    if not answer_words:
        return 0.0
    return sum(w in vocabulary for w in answer_words) / len(answer_words)


def choose_follow_up(question: Question, results: list[CriterionResult]) -> str | None:
    """One probe aimed at the biggest gap: the heaviest criterion not met."""
    gaps = sorted(
        (r for r in results if r.status != "met"),
        key=lambda r: (r.status == "partly", -r.weight),
    )
    if not gaps:
        return None
    for gap in gaps:
        for follow_up in question.follow_ups:
            if gap.id in follow_up.targets:
                return follow_up.prompt
    top = gaps[0]
    if question.rubric is None:
        return f"How would your answer handle this point: {top.description.rstrip('.')}?"
    return f"{top.hint} How would you add that to your answer?"
