"""Results a case states with their intervals, and answers that misread them.

A storytelling question gives the candidate a readout: "Buyer messages per active buyer rose
+1% (CI -1% to +3%)". Whether an answer reads it right depends on that interval, which only the
case knows: a sentence that calls that +1% a gain for buyers is the classic spin of a null
result, and one that calls a significant loss "noise" buries it. Neither is visible to sentence
similarity (the words are the case's own), and neither needs a rubric: the case states the
facts, so every case with intervals gets this check for free.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from casecoach.grading.text import normalize, stem
from casecoach.grading.wording import compiled, judges, rejects

if TYPE_CHECKING:
    from casecoach.cases.schema import Case

_NUMBER = r"[+\-−–]?\d+(?:\.\d+)?"
_UNIT = r"(?:%|pp\b|percentage points?\b|points?\b|pts?\b)?"
# "95% CI -0.2% to +0.8%", "CI of the difference -2.0 to -1.4", "95% CI 4.8% to 7.4%"
_INTERVAL = re.compile(
    rf"(?:95%\s*)?\b(?:CI|confidence interval)\b(?:\s+of the difference)?:?\s*[\[(]?\s*"
    rf"({_NUMBER})\s*{_UNIT}\s*(?:to|,|–|—|\.\.)\s*({_NUMBER})\s*{_UNIT}",
    re.IGNORECASE,
)
# "+2.5% ± 1.1%": the interval as an estimate and a margin
_PLUS_MINUS = re.compile(rf"({_NUMBER})\s*{_UNIT}\s*(?:±|\+/-)\s*(\d+(?:\.\d+)?)\s*{_UNIT}")
_MEASURE = re.compile(rf"({_NUMBER})\s*(%|pp\b|percentage points?\b|points?\b|pts?\b)", re.I)
# Words of a result's clause that do not name its metric.
_NOT_METRIC = frozenset(
    "a an the and or of on in at to for from by with was were is are be been rose fell moved "
    "went grew dropped dropping rising falling shows showed show higher lower per relative "
    "overall points point pp among about roughly nearly almost reads read we our us you "
    "results result ci percent percentage users user increase decrease change changed up "
    "down than vs versus while whereas control treatment treated arm arms test difference "
    "paired effect effects significant no but".split()
)

# A movement claimed for a result, in its direction.
_GAIN = (r"\b(?:up|rose|rises|rising|increas\w*|grew|grow\w*|gain\w*|improv\w*|lift\w*|"
         r"boost\w*|higher|more|better|wins?|benefit\w*|positive|helped|helps|drove|drives|"
         r"driving|raised|raises|added|adds|moved the needle|pay(?:s|ing)? off|paid off)\b")
_LOSS = (r"\b(?:down|fell|falls?|falling|dropp?\w*|declin\w*|decreas\w*|lower|less|fewer|worse|"
         r"hurt\w*|harm\w*|loss|lost|loses|losing|reduc\w*|shrank|shrunk|slipp?\w*|dipp?\w*)\b")
# What a sentence says when it reads a null honestly.
_HEDGES = (
    r"\bnot (?:statistically )?significant|\binsignificant|\bn\.?s\b|\bnon-?significant|"
    r"\bci\b|\binterval|\bconfidence|\b(?:includes?|including|cross\w*|spans?|straddl\w*)"
    r" zero|\bflat\b|\bnois\w*|\binconclusive|\brul(?:e|es|ed|ing) (?:\w+ )?out|\buncertain\w*|"
    r"\bdirectional\w*|\bsuggestive|\bdistinguish\w*|\bwithin\b|±|\+/-|\bneutral\b|"
    r"\bno (?:detectable|measurable|clear|significant|real)\b|\bmay\b|\bmight\b|\bcould\b|"
    r"\bpossibl\w*|\bhint\w*|\bunderpowered|\btoo small to|\bnot (?:yet )?(?:clear|sure|"
    r"distinguishable|detectable)|\bunclear\b|\bcan't tell|\bcannot tell|\bnull\b|"
    r"\bno (?:effect|change|difference)|\bunchanged|\bstatistical\w*|\bsignifican\w*|"
    r"\berror bars?|\bwide\b|\bconsistent with|\bnot a (?:win|gain|loss)|\brange\b|"
    r"\branges\b|\bruns from|\bcan(?:'t|not) say|\bcan(?:'t|not) (?:yet )?(?:claim|conclude)|"
    r"\d\s*(?:%|pp|points?)?\s*(?:to|and)\s*[+\-−–]\d"
)
# What turns a report of a null into a conclusion drawn from it.
_CONCLUDES = (
    r"\b(?:wins?|benefit\w*|prov(?:e|es|en|ing)|confirm\w*|shows? (?:that|the|it)|helps?|helped|"
    r"pay(?:s|ing)? off|paid off|working|works|success\w*|good news|positive|encouraging|"
    r"clearly|so|which means|therefore|evidence|engag\w* more|more engaged|hurts?|hurting|"
    r"harm\w*|cannibali[sz]\w*|worse|proof|headline|driv\w*|improv\w*)\b"
)
# What a sentence says when it dismisses a result as nothing.
_DISMISS = (
    r"\b(?:just |basically |essentially |mostly |probably |likely |only )?(?:noise|noisy|"
    r"blips?|flukes?|random (?:variation|fluctuation|noise|chance)|not (?:statistically )?"
    r"(?:significant|real|meaningful)|insignificant|isn't (?:statistically )?(?:significant|"
    r"real|meaningful)|normal (?:weekly |daily )?(?:variation|fluctuation|noise)|within "
    r"(?:the )?(?:noise|normal (?:range|variation))|(?:basically|essentially|roughly|"
    r"effectively) flat|no (?:real )?effect|unaffected|didn't move|did not move|no (?:real )?"
    r"change|no (?:real )?impact|nothing to worry about|can be ignored|safe to ignore)\b"
)


# What a sentence says when it reads a null result as proof that nothing happened.
_NO_EFFECT = (
    r"\b(?:(?:isn't|is not|wasn't|was not|not|can't be|cannot be|couldn't be) (?:what's|what is|"
    r"what was|the (?:cause|culprit|reason|problem|driver)|behind|responsible|to blame|dragging|"
    r"driving|causing|hurting|harming)|(?:has|had|have) no (?:\w+ )?(?:effect|impact)|"
    r"no (?:real |actual )?(?:effect|impact|harm)|exonerat\w*|clears? (?:the|it)\b|"
    r"(?:did|does|do)(?:n't| not) (?:hurt|harm|cause))\b"
)
# What keeps such a reading honest: the interval still allows a real effect.
_NO_EFFECT_HEDGES = (
    r"\bcan(?:'t|not) (?:rule|exclude|say|conclude|claim)|\bcouldn't rule|"
    r"\b(?:doesn't|does not|didn't|did not) (?:mean|prove|show|rule|establish)|"
    r"\bnot the same as|\babsence of evidence|\bas (?:large|big|much) as|\bup to [-−–]?\d|"
    r"\bcould (?:still |also )?(?:be|hide|mask|cost|include)|\bmight\b|\bmay\b|"
    r"\bunderpowered|\btoo (?:small|short|few|noisy)|\bincludes? (?:a |an |losses|drops|"
    r"declines|harm|meaningful|real|[-−–]?\d)|\bconsistent with|\bwide\b|\bexclud\w*|"
    r"\bonly (?:covered|tested|ran|included)|\bnot (?:enough|powered|proof)|\bplausib\w*|"
    r"\bwhether\b|\bif\b|\bdetect\w*|\bnot proven|\bwouldn't (?:call|describe|say)|"
    # a non-inferiority reading: the interval's worst end is inside an agreed margin
    r"\bmargin|\bnon-?inferior\w*|\bbounds?\b|\bworst[- ]case|\bthreshold|\bguardrail|\blimit"
)


_COMPARED = re.compile(r"\b(?:vs|versus|compared|against|from|than|instead of)\b")


@dataclass(frozen=True)
class StatedResult:
    """One result the case states with its 95% interval."""

    clause: str  # the words that state it, for the feedback
    metric: frozenset[str]  # stems of the words naming the metric
    figures: tuple[str, ...]  # the numbers an answer would quote it by ("1", "0.3")
    low: float
    high: float
    estimate: float

    @property
    def null(self) -> bool:
        return self.low < 0 < self.high

    @property
    def significant(self) -> bool:
        return self.low > 0 or self.high < 0


def _number(text: str) -> float:
    return float(text.replace("−", "-").replace("–", "-"))


def _metric_words(text: str) -> list[str]:
    """Words that may name a metric; hyphenated ones also by their parts ("assistant-DAU")."""
    found = re.findall(r"[a-z][a-z'-]+", text.lower())
    found += [part for w in found if "-" in w for part in w.split("-")]
    return [w for w in found if w not in _NOT_METRIC and len(w) > 2]


def _back(text: str, end: int) -> int:
    """Where the clause ending at `end` starts: after a sentence end (not a decimal point),
    a semicolon, a colon or a parenthesis."""
    i = end - 1
    while i >= 0:
        c = text[i]
        if c in ";:()?!" or (c == "." and not (i + 1 < len(text) and text[i + 1].isdigit())):
            return i + 1
        i -= 1
    return 0


def _statement(text: str, at: int) -> tuple[str, str]:
    """The words before the interval at `at`: inside its parenthesis (if it is in one), and
    before that, back to the clause that names a metric (at most two clauses back)."""
    opened = text.rfind("(", 0, at)
    inside = ""
    end = at
    if opened > text.rfind(")", 0, at):
        inside, end = text[opened + 1:at], opened
    start = _back(text, end)
    for _ in range(2):
        if _metric_words(text[start:end]) or start == 0:
            break
        start = _back(text, start - 1)
    return text[start:end].strip(" ,"), inside.strip(" ,")


_JOINED = re.compile(r"^\s*(?:to|vs\.?|versus|and|from)\s*$|^\s*in \w+ \d+,? (?:down |up )?to\s*$")


@cache
def stated_results(text: str) -> tuple[StatedResult, ...]:
    """Every result with a 95% interval that `text` (a case's scenario and prompts) states."""
    text = " ".join(normalize(text).split())
    out: list[StatedResult] = []
    found: list[tuple[int, float, float]] = []
    for m in _INTERVAL.finditer(text):
        ends = sorted((_number(m.group(1)), _number(m.group(2))))
        found.append((m.start(), ends[0], ends[1]))
    for m in _PLUS_MINUS.finditer(text):  # read as if "(95% CI low to high)" followed it
        middle, margin = _number(m.group(1)), _number(m.group(2))
        found.append((m.end(), middle - margin, middle + margin))
    for at, low, high in sorted(found):
        outside, inside = _statement(text, at)
        clause = inside
        if not (_metric_words(inside) and _MEASURE.search(inside)):
            clause = f"{outside} {inside}".strip()
        measures = list(_MEASURE.finditer(clause))
        if not measures:
            continue
        signed = [g for g in measures if g.group(1)[0] in "+-−–"]
        last = signed[-1] if signed else measures[-1]
        # The figures an answer quotes it by: the estimate, and the level it moved from when
        # the clause says "A to B" or "A vs B"; the metric's words are those after any
        # earlier, separate result ("comments +3.5%, original posts +0.8%").
        index = measures.index(last)
        first = index
        while first > 0 and _JOINED.match(
            clause[measures[first - 1].end():measures[first].start()]
        ):
            first -= 1
        figures = tuple(dict.fromkeys(g.group(1).lstrip("+-−–") for g in measures[first:index + 1]))
        begin = measures[first - 1].end() if first > 0 else 0
        words = _metric_words(clause[begin:measures[first].start()] + " " + clause[last.end():])
        if not words:
            words = _metric_words(clause)
        if not words:
            continue
        estimate = _number(last.group(1))
        if last.group(1)[0] not in "+-−–":  # a level, or "fell 3%": the interval's direction
            estimate = (low + high) / 2
        out.append(StatedResult(clause, frozenset(stem(w) for w in words), figures, low, high,
                                estimate))
    return tuple(out)


_UNIT_AFTER = r"\s*(?:%|percent\b|pp\b|percentage points?\b|points?\b|pts?\b)"


def _figure_pattern(result: StatedResult) -> str:
    """A quoted figure: with a decimal it is specific enough alone ("0.12"), unless another
    unit follows ("0.4s"); a whole number needs its unit ("1%", "3 points"), or "week 1"
    would be a quote."""
    decimals = [re.escape(f) for f in result.figures if "." in f]
    wholes = [re.escape(f) for f in result.figures if "." not in f]
    parts = []
    if decimals:
        parts.append(rf"(?:{'|'.join(decimals)})(?:{_UNIT_AFTER}|(?![\d.]*\w)(?!\s*(?:s|ms|"
                     rf"sec\w*|seconds?|days?|hours?|minutes?|m|k|x|[mb]illion)\b))")
    if wholes:
        parts.append(rf"(?:{'|'.join(wholes)})(?:\.0)?{_UNIT_AFTER}")
    return rf"(?<![\d.])(?:{'|'.join(parts)})"


def case_results(case: Case) -> tuple[StatedResult, ...]:
    """The results a case states anywhere: in its scenario or any of its questions (a later
    question's readout is a fact for the whole case)."""
    return stated_results("\n\n".join([case.scenario, *(q.prompt for q in case.questions)]))


@dataclass(frozen=True)
class Misread:
    id: str
    description: str
    penalty: float
    quote: str


def _names_metric(text: str, result: StatedResult) -> bool:
    return any(stem(w) in result.metric for w in _metric_words(text))


def _dismissed(text: str, figure: str) -> bool:
    """The figure, then words that dismiss it, in one clause ("a 3% rise in reports is within
    noise"); not "posts went from not significant to +2.1%", where the dismissal is before."""
    for m in compiled(figure).finditer(text):
        clause = re.split(r"[,;:(]| but | while | whereas | although ", text[m.end():])[0]
        found = compiled(_DISMISS).search(clause)
        if found is None:
            continue
        between = clause[: found.start()]
        # "posts +2.1% vs not significant before" compares; it does not dismiss
        if _COMPARED.search(between) or rejects(between) or judges(text):
            continue
        return True
    return False


def misread_results(
    units: tuple[str, ...] | list[str], results: tuple[StatedResult, ...]
) -> list[Misread]:
    """Units that claim a null result as a movement or as proof of no effect, or dismiss a
    significant one as noise.

    A unit is about a result when it quotes one of its figures and a word of its metric. A
    null reported as a gain or loss is cleared by any hedge in that unit or the next one ("+1%,
    though the interval includes zero"); reported plainly it costs a little, and a conclusion
    drawn from it ("another win", "so it hurts messaging") is a serious mistake. So is a null
    read as proof of no effect ("-0.6%, so the model isn't what's behind the drop") unless the
    unit or the next one says what the interval still allows ("could still be a 1.9% loss").
    """
    texts = [normalize(u).lower() for u in units]
    out: list[Misread] = []
    for result in results:
        figure = _figure_pattern(result)
        about = [i for i, t in enumerate(texts)
                 if compiled(figure).search(t) and _names_metric(t, result)]
        stated = f"{result.clause} (95% CI {result.low:g} to {result.high:g})"
        if result.null:
            claim = _GAIN if result.estimate > 0 else _LOSS
            moved = "gain" if result.estimate > 0 else "loss"
            for i in about:
                window = " ".join(texts[i:i + 2])
                if compiled(claim).search(texts[i]) and not compiled(_HEDGES).search(window):
                    concludes = bool(compiled(_CONCLUDES).search(texts[i]))
                    out.append(Misread(
                        "null-result-claimed",
                        f"Reports a result whose interval includes zero as a real {moved}"
                        f"{' and draws a conclusion from it' if concludes else ''}: {stated}.",
                        1.0 if concludes else 0.5,
                        units[i],
                    ))
                    break
            for i in about:
                window = " ".join(texts[i:i + 2])
                if (compiled(_NO_EFFECT).search(texts[i]) and not judges(texts[i])
                        and not compiled(_NO_EFFECT_HEDGES).search(window)):
                    out.append(Misread(
                        "null-read-as-no-effect",
                        f"Reads a result whose interval includes a real effect as proof of "
                        f"none: {stated}.",
                        1.0,
                        units[i],
                    ))
                    break
        elif result.significant:
            for i in about:
                if _dismissed(texts[i], figure):
                    out.append(Misread(
                        "significant-result-dismissed",
                        f"Dismisses a result whose interval excludes zero as noise or no "
                        f"effect: {stated}.",
                        1.0,
                        units[i],
                    ))
                    break
    return out
