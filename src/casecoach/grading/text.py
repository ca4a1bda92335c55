"""Text handling for grading: answer units, tokens, negation and list detection.

The grader compares *units* of an answer (sentences, bullet items, clauses of long sentences)
with rubric phrasings, so how an answer is cut matters as much as the model: bullets and prose
must yield the same units for the same content, or reformatting would move the grade.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i i'd i'll i'm
    i've if in into is it it's its itself just let's me more most my myself nor of off on once
    only or other our ours ourselves out over own same she should so some such than that that's
    the their theirs them themselves then there there's these they this those through to too
    under until up very was we we'd we'll we're we've were what when where which while who whom
    why will with would you your yours yourself yourselves maybe like also really well much
    many via per
    """.split()
)

NEGATION_CUES = re.compile(
    r"\b(not|never|no|avoid\w*|instead of|rather than|wouldn'?t|won'?t|don'?t|doesn'?t|isn'?t|"
    r"aren'?t|can'?t|cannot|shouldn'?t|without|mistake\w*|wrong|biased|trap|pitfall\w*|"
    r"misleading|tempting|resist|beware|careful not|naive\w*|fallac\w*|not be|steer clear|"
    r"stay away|leave (?:it |them |that |this )?out|gameable|overstat\w*|inflat\w*)\b",
    re.IGNORECASE,
)

DONT_KNOW = re.compile(
    r"\b(not (?:really |quite |entirely |totally )?sure|no idea|don'?t know|do not know|"
    r"haven'?t (?:worked|done|had)|"
    r"(?:isn'?t|aren'?t|is not|not) (?:really )?my (?:strong\w* )?(?:area|suit)|"
    r"no (?:real )?experience (?:with|in)|"
    r"can we (?:skip|move)|could we (?:maybe )?(?:skip|move)|let'?s move on|pass on this|"
    r"not familiar|never (?:done|worked))\b",
    re.IGNORECASE,
)

# Words that promise rigour without saying what is done: "a robust, holistic framework",
# "leverage CUPED to drive clarity", "randomization would be handled thoughtfully". Answers
# padded to sound senior are made of them; the project's ideal and correct answers almost
# never use them (none of their 1,391 and 997 sentences).
_VAGUE = re.compile(
    r"\b(?:holistic\w*|thoughtful(?:ly)?|leverag\w*|best[- ]practices?|industry[- ]standard|"
    r"best[- ]in[- ]class|world[- ]class|360(?:[- ]degree)?|cohesive|insight[- ]driven|"
    r"executive[- ]ready|high[- ]impact|synerg\w*|unlock\w*|seamless\w*|drive clarity|"
    r"rigorous(?:ly)?|(?<!-)robust(?! (?:standard|se\b|errors?|regression|to\b))|disciplined|"
    r"data[- ]driven|mindful|stay alert|actionable|energi[sz]ed|deep[- ]dive|cutting[- ]edge|"
    r"key (?:insights?|learnings?))\b",
    re.IGNORECASE,
)


def vague(text: str) -> bool:
    """Whether a sentence uses words that promise rigour without saying what is done."""
    return bool(_VAGUE.search(text))


_BULLET = re.compile(r"^\s*(?:[-*•·▪‣◦]|\d{1,2}[.)]|\(?[a-z]\)|#+)\s+", re.MULTILINE)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Za-z0-9])")
_ABBREVIATION_END = re.compile(r"\b(?:e\.g|i\.e|vs|etc|approx|cf|incl|esp|ca|mr|dr|no)\.$", re.I)
_WORD = re.compile(r"[a-z0-9][a-z0-9'’%/.+-]*[a-z0-9%]|[a-z0-9]", re.IGNORECASE)
_CLAUSE_SPLIT = re.compile(r";\s+|\s+[-–—]\s+|,\s+(?=(?:and|but|so|then|which|while|because)\b)")

MAX_UNIT_WORDS = 45
WRAPPED_SHARE = 0.75  # a line this share of its paragraph's typical length may be wrapped
MIN_WRAP_WIDTH = 30  # paragraphs of shorter lines are lists, not wrapped prose


def normalize(text: str) -> str:
    """Unicode-normalize and straighten quotes so casing and typography do not move a grade."""
    text = unicodedata.normalize("NFKC", text)
    return text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')


def words(text: str) -> list[str]:
    return [w.lower().strip(".'") for w in _WORD.findall(normalize(text))]


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS and len(w) > 1]


_SUFFIXES = ("izations", "ization", "isations", "isation", "ations", "ation", "ings", "ing",
             "ized", "ised", "izes", "ises", "ize", "ise", "ies", "ied", "ed", "es", "s", "ly")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix stripper: enough to match randomize/randomized/randomization."""
    w = word.lower()
    for suffix in _SUFFIXES:
        if len(w) - len(suffix) >= 4 and w.endswith(suffix):
            return w[: -len(suffix)]
    return w


def _split_long(unit: str) -> list[str]:
    if len(unit.split()) <= MAX_UNIT_WORDS:
        return [unit]
    parts = [p.strip(" ,") for p in _CLAUSE_SPLIT.split(unit) if p.strip(" ,")]
    out: list[str] = []
    for part in parts:
        tokens = part.split()
        if len(tokens) <= MAX_UNIT_WORDS:
            out.append(part)
        else:  # no clause boundary: cut into overlapping windows
            step = MAX_UNIT_WORDS - 10
            for start in range(0, len(tokens), step):
                out.append(" ".join(tokens[start : start + MAX_UNIT_WORDS]))
                if start + MAX_UNIT_WORDS >= len(tokens):
                    break
    return out


@lru_cache(maxsize=4096)
def split_units(text: str) -> tuple[str, ...]:
    """Cut an answer into units: sentences, bullet items and clauses of very long sentences.

    Line breaks end a unit only where a new bullet or paragraph starts, or after a sentence or
    a short line, so prose wrapped at any width and the same prose on one line give the same
    units. Sentences end at . ! ? whatever the next word's case, so an all-lowercase answer
    is cut the same way as its capitalised twin.
    """
    text = normalize(text).replace("\r\n", "\n")
    text = _BULLET.sub("\n\n", text)
    text = "\n\n".join(_unwrap(block) for block in re.split(r"\n[ \t]*\n", text))
    units: list[str] = []
    heading = ""
    for block in re.split(r"\n\s*\n", text):
        block = " ".join(block.split())
        if not block:
            continue
        for sentence in _sentences(block):
            if not any(ch.isalnum() for ch in sentence):
                continue
            if sentence.endswith(":") and len(sentence.split()) <= 4:
                heading = f"{heading} {sentence}".strip()  # "Robustness:" belongs to what follows
                continue
            if heading:
                sentence, heading = f"{heading} {sentence}", ""
            units.extend(_split_long(sentence))
    if heading:
        units.append(heading)
    return tuple(units)


def _unwrap(block: str) -> str:
    """Join the lines of a wrapped paragraph; keep the breaks its writer meant.

    A line ending a sentence ends a unit. A line ending in "and", a comma or a hyphen, or one
    followed by a lowercase word, was wrapped. Otherwise a line about as long as the paragraph's
    typical line was wrapped, and a short one (a heading, an unmarked list item) was not.
    """
    lines = [line.strip() for line in block.split("\n")]
    lines = [line for line in lines if line]
    if len(lines) < 2:
        return " ".join(lines)
    lengths = sorted(len(line) for line in lines[:-1])
    typical = lengths[len(lengths) // 2]
    out = lines[0]
    for previous, line in zip(lines, lines[1:], strict=False):
        last_word = previous.rsplit(None, 1)[-1].lower()
        if previous.endswith((".", "!", "?")):
            wrapped = False  # on one line too, a sentence ends here
        else:
            wrapped = (
                last_word in STOPWORDS  # "... in the" goes on
                or previous.endswith((",", "-", "–", "(", "/"))
                or line[0].islower()
                or line[0] in "([{%+-–"
                or (typical >= MIN_WRAP_WIDTH and len(previous) >= WRAPPED_SHARE * typical)
            )
        out += (" " if wrapped else "\n\n") + line
    return out


def _sentences(block: str) -> list[str]:
    out: list[str] = []
    for piece in _SENTENCE_END.split(block):
        piece = piece.strip()
        if not piece:
            continue
        if out and _ABBREVIATION_END.search(out[-1]):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def negations(text: str) -> int:
    """How many negation or rejection cues a text holds ("not", "rather than", "avoid")."""
    return len(NEGATION_CUES.findall(normalize(text)))


@dataclass(frozen=True)
class ListShape:
    """How much of a text is a bare list of terms rather than sentences."""

    stopword_ratio: float
    list_items: int
    mean_item_words: float

    @property
    def is_term_list(self) -> bool:
        return self.list_items >= 6 and self.mean_item_words <= 3.5 and self.stopword_ratio < 0.18


def stopword_share(tokens: list[str]) -> float:
    """Share of function words: about a third or more in English statements, few in lists."""
    return sum(1 for t in tokens if t in STOPWORDS) / len(tokens) if tokens else 0.0


def list_shape(text: str) -> ListShape:
    tokens = words(text)
    if not tokens:
        return ListShape(0.0, 0, 0.0)
    stop = stopword_share(tokens)
    items = [i for i in re.split(r"[,;\n/]|\s+-\s+", normalize(text)) if i.strip()]
    mean_words = sum(len(i.split()) for i in items) / len(items)
    return ListShape(stop, len(items), mean_words)


_ITEM_SPLIT = re.compile(r"[,;/+&]|\s+(?:and|or|-)\s+|:\s+", re.IGNORECASE)


def list_items(unit: str) -> list[str]:
    """The items of a unit read as a list: split at commas, "and", "or", slashes, colons."""
    return [i.strip(" .") for i in _ITEM_SPLIT.split(normalize(unit)) if i.strip(" .")]


def term_run(unit: str) -> str | None:
    """Is this unit a run of terms rather than a statement, and of which shape?

    "list": comma-separated items of a word or three ("Key concepts: CUPED, novelty,
    guardrails, power."; "I'd also consider CUPED, SRM checks, novelty and guardrails").
    "run": terms strung together with few function words ("randomization CUPED power
    guardrails"). A statement has verbs and function words between its terms. None otherwise.
    """
    tokens = words(unit)
    if len(tokens) < 4:
        return None
    items = list_items(unit)
    if len(items) >= 4:
        short = sum(1 for i in items if len(i.split()) <= 3)
        mean_words = sum(len(i.split()) for i in items) / len(items)
        if short / len(items) >= 0.7 and mean_words <= 3.0:
            return "list"
    stop = stopword_share(tokens)
    # Function words are a quarter or more of most English statements; numbers make a terse
    # specification ("CTR 4.0% to 3.1%, fatigue") legitimate with fewer.
    if any(ch.isdigit() for ch in unit):
        return "run" if len(tokens) >= 8 and stop <= 0.15 else None
    return "run" if stop <= 0.25 else None


@lru_cache(maxsize=8192)
def _term(term: str) -> tuple[str, re.Pattern[str] | None, str]:
    """A keyword compiled once: (kind, phrase pattern, word or prefix or stem)."""
    term = term.lower().strip()
    if " " in term or "-" in term or "/" in term:
        pattern = re.escape(term.rstrip("*")).replace(r"\ ", r"[\s-]+").replace(r"\-", r"[\s-]?")
        suffix = r"\w*" if term.endswith("*") else r"\b"
        return "phrase", re.compile(r"\b" + pattern + suffix), term
    if term.endswith("*"):
        return "prefix", None, term[:-1]
    return "word", None, term


@dataclass(frozen=True)
class WordIndex:
    """A text made ready for keyword matching: its words, their stems, its lowercased form."""

    words: frozenset[str]
    stems: frozenset[str]
    lowered: str

    @classmethod
    def of(cls, text: str) -> WordIndex:
        found = frozenset(words(text))
        return cls(found, frozenset(stem(w) for w in found), normalize(text).lower())

    def uses(self, term: str) -> bool:
        """Does a rubric keyword occur? `term*` matches any ending; phrases match as
        substrings; a word also matches inside a hyphenated or slashed token ("fdr" in
        "BH-FDR", "srm" in "SRM/balance")."""
        kind, pattern, value = _term(term)
        if pattern is not None:
            return pattern.search(self.lowered) is not None
        if kind == "prefix":
            return any(w.startswith(value) for w in self.words)
        if value in self.words or stem(value) in self.stems:
            return True
        return any(value in re.split(r"[-/]", w) for w in self.words if "-" in w or "/" in w)

    def uses_any(self, terms: list[str]) -> bool:
        return any(self.uses(t) for t in terms)


def keyword_share(unit: str, keywords: list[str]) -> float:
    """Share of a unit's words that belong to the rubric keywords it uses.

    A statement uses a keyword or two among its own words; a pasted run of rubric terms
    ("can't rule out goal headline a third more…") is mostly keywords.
    """
    tokens = words(unit)
    if not tokens:
        return 0.0
    index = WordIndex.of(unit)
    covered: set[str] = set()
    for keyword in filter(index.uses, keywords):
        kind, _, value = _term(keyword)
        parts = words(value.rstrip("*")) if kind == "phrase" else [value]
        for t in index.words:
            if any(t == p or stem(t) == stem(p) or (kind == "prefix" and t.startswith(p))
                   for p in parts):
                covered.add(t)
    return sum(t in covered for t in tokens) / len(tokens)
