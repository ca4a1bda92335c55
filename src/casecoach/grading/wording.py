"""Finding a mistake by its words: signs, and the rules that clear them.

A sign is a few patterns found together in one unit of an answer (or in two neighbouring
units): the act, its trigger, its claim. A unit that shows them is cleared when it rejects what
it describes: a negation right before the act ("we would not stop early"), words that judge it
("that comparison is biased"), or the correct method named beside it (unless it is named only
to be absent: "without a control group"). Case authors write signs as term groups
(`term_pattern`, `flag_sign`); the built-in detectors (`casecoach.grading.mistakes`) as regular
expressions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from casecoach.grading.text import normalize

# A rejection right before the act: "we won't stop", "rather than comparing", "avoid zooming".
_NEGATED_ACT = re.compile(
    r"(?:\bnot|\bnever|\bno|n't|\bdon't|\bnor|\bwithout|\binstead of|\brather than|\bagainst|"
    r"\bnobody|\bno one|\bnone of|"
    r"\bavoid\w*|\bresist\w*|\bprevent\w*|\btempting to|\btemptation to|\bmistake to|"
    r"\bwrong to|\bbeware of|\bcareful not to|\bstops? (?:me|us|you|them|people)|"
    r"\bkeeps? (?:me|us) from)\b[^.;:!?,]{0,40}$"
    # a list the sentence rejects: "What I'd avoid: raw comment counts", "Left out: pies"
    r"|(?:\bavoid\w*|\bleft out|\bleave out|\bleaving out|\bskip\w*|\bexclud\w*|\bdropped|"
    r"\bnot (?:shown|included|used)|\bwon't (?:show|use|include)|\bdon'ts?|\bnever)"
    r"\s*:[^.;!?]{0,80}$"
)

# Words that judge what the sentence describes: a sentence using them discusses the mistake
# rather than makes it ("that comparison is biased", "a dual axis would distort it").
_JUDGING = (
    # named flaws
    r"bias(?:es|ed)?", r"confound\w*", r"self-?select\w*", r"selection (?:bias|effect)",
    r"mislead\w*", r"wrong", r"mistake\w*", r"flaw\w*", r"naive", r"naïve", r"invalid\w*",
    r"trap", r"pitfall\w*", r"tempting", r"temptation", r"overstat\w*", r"inflat\w*",
    r"false positives?", r"cherry-?pick\w*", r"p-?hack\w*", r"fishing", r"forking",
    r"dishonest", r"spurious", r"fallac\w*", r"regression to the mean", r"unobserved",
    r"reverse causal\w*", r"arbitrar\w*", r"invent\w*", r"distort\w*", r"proportional",
    r"too (?:short|early|soon|brief) to", r"(?:still|only|merely|just|purely) observational",
    r"sanity[- ]check\w*", r"(?:far |much |way )?too (?:narrow|tight|optimistic)",
    # judgements of a design or a chart
    r"weak(?:er)? (?:plan|answer|approach|choice|design)", r"would be (?:a )?(?:bad|poor)",
    r"(?:isn't|is not|not) (?:an option|possible|acceptable|advisable|wise|enough)",
    r"would (?:make|let)[^.;]{0,40}\blook", r"whatever the scal\w*",
    r"any two (?:lines|series|metrics)", r"would (?:exaggerate|distort|mislead|overstate)",
    # causal language denied
    r"(?:not|isn't|is not|aren't) causal", r"correlational",
    r"(?:isn't|is not|aren't|are not) (?:the |a )?causal",
    r"(?:is|are|was|just|only|merely|a|shows?) (?:just |only |merely |a )?correlation",
    r"correlation,? not", r"correlation (?:isn't|is not|does not|doesn't)",
    # a refusal to do or to read it that way
    r"(?:wouldn't|would not|'d not|won't|will not|don't|do not|never) "
    r"(?:use|draw|plot|show|put|pick|choose)",
    r"(?:wouldn't|would not|can't|cannot|can not|shouldn't|should not) (?:be )?"
    r"(?:present\w*|call\w*|read\w*|treat\w*|claim\w*|interpret\w*)",
)
_JUDGED = re.compile(r"\b(?:" + "|".join(_JUDGING) + r")\b")

# Any negation, for strict signs: checked on the unit with the sign's own words taken out.
_CONTRARY = re.compile(
    r"(?:\b(?:not|never|no longer|rather than|instead of|without|nor|nobody|no one)\b|n't\b)"
)

# A negation that only names the comparison group ("users who didn't"), not a denial.
_GROUP_NEGATION = re.compile(
    r"\bwho (?:did|do|does|have|has|had|were|was|are|is)(?:n't|\s+not)\b|\bwho never\b|"
    r"\bones that (?:did|do|does)(?:n't|\s+not)\b"
)


@dataclass(frozen=True)
class Sign:
    """Word patterns that, found together, show the mistake.

    `all` are regular expressions that must all match; the first is the act, and a negation
    right before it ("we would not ...") clears the sign. `unless` patterns name the correct
    method: any of them clears the sign. `span` is how many neighbouring units are read
    together ("Retention did not move. The tool has no effect on it.").
    """

    all: tuple[str, ...]
    unless: tuple[str, ...] = ()
    span: int = 1
    # A negation anywhere outside the matched words clears the sign ("a tap isn't a visit"):
    # for authors' signs, which are short term lists with no grammar of their own.
    strict: bool = False


@cache
def compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def judges(text: str) -> bool:
    """Whether the text judges what it describes ("biased", "not causal")."""
    return bool(_JUDGED.search(text))


def rejects(before: str) -> bool:
    """Whether the words right before an act reject it ("we would not", "rather than")."""
    return bool(_NEGATED_ACT.search(before))


def _act_negated(text: str, pattern: str) -> bool:
    """Whether every occurrence of the act is negated or rejected right before it."""
    found = list(compiled(pattern).finditer(text))
    return bool(found) and all(_NEGATED_ACT.search(text[: m.start()]) for m in found)


_WITHOUT = re.compile(r"\b(?:without|no|skip\w*)\W+(?:\w+\W+){0,2}$")
# A correct method named only to be refused: "I wouldn't correct for multiple comparisons".
_REFUSED = re.compile(
    r"(?:n't|\bnot|\bnever|\bno need to)\s+(?:\w+\s+)?(?:correct\w*|adjust\w*|apply\w*|use|"
    r"using|bother\w*|run\w*|need\w*|want\w*|add\w*)\s+(?:for\s+|with\s+)?(?:a\s+|an\s+|the\s+|any\s+)?"
    r"(?:\w+\s+)?$"
)


# ... or named to be replaced: "switch from posts per DAU", "posts per DAU is too noisy".
_REPLACED = re.compile(
    r"\b(?:switch\w*|mov\w* away)\b[^.;,]{0,30}?\bfrom\s+(?:\w+\s+){0,2}$"
)
_DISMISSED_AFTER = re.compile(
    r"^[\w\s'-]{0,25}?\b(?:is|are|was|were|'s|gets?|seems?)\s+(?:just |simply )?(?:too|overly) "
    r"(?:noisy|volatile|jumpy|unstable|complex|complicated|confusing|hard|abstract|technical)\b"
)


def _names(text: str, pattern: str) -> bool:
    """Whether the text names a correct method, not merely its absence, its refusal or its
    replacement ("without a control group", "I wouldn't correct for multiple comparisons",
    "posts per DAU is too noisy, so switch to total posts" name none)."""
    return any(
        not _WITHOUT.search(text[max(0, m.start() - 30) : m.start()])
        and not _REFUSED.search(text[max(0, m.start() - 50) : m.start()])
        and not _REPLACED.search(text[max(0, m.start() - 50) : m.start()])
        and not _DISMISSED_AFTER.search(text[m.end() : m.end() + 60])
        for m in compiled(pattern).finditer(text)
    )


def shows(text: str, sign: Sign, unless: tuple[str, ...] = ()) -> bool:
    """Whether a unit (lowercased) shows the sign: all its patterns found, and none of the
    rules that clear it applies. `unless` adds correct-method patterns to the sign's own."""
    if not all(compiled(p).search(text) for p in sign.all):
        return False
    if any(_names(text, p) for p in (*sign.unless, *unless)):
        return False
    if _JUDGED.search(text):
        return False
    if sign.strict:
        rest = text
        for pattern in sign.all:
            rest = compiled(pattern).sub(" ", rest)
        if _CONTRARY.search(_GROUP_NEGATION.sub(" ", rest)):
            return False
    return not _act_negated(text, sign.all[0])


@cache
def term_pattern(terms: str) -> str:
    """A case author's term group as a regular expression.

    "randomi* | individual admins | admin level": alternatives split on "|", matched as whole
    words in any case; "*" ends a word with any ending; "?" makes the letter before it optional
    ("bars?"); spaces match any spacing or a hyphen, and a hyphen matches a space or nothing.
    """
    alternatives = [a.strip().lower() for a in terms.split("|") if a.strip()]
    if not alternatives:
        raise ValueError("a term group needs at least one term")
    parts = []
    # Longest first: "those who didn't" must not match as "those who" and leave "n't" behind.
    for alternative in sorted(alternatives, key=len, reverse=True):
        escaped = re.escape(" ".join(alternative.split()))
        parts.append(
            escaped.replace(r"\*", r"[\w'-]*").replace(r"\?", "?").replace(r"\-", r"[\s-]?")
            .replace(r"\ ", r"[\s-]+")
        )
    # Not inside a word or a number: "6%" is not in "0.6%", and "+6%" matches after a space
    # (where a \b before "+" would not).
    return r"(?<![\w.])(?:" + "|".join(parts) + r")(?![\w])"


def flag_sign(groups: list[str] | tuple[str, ...]) -> Sign:
    """A rubric red flag's sign: term groups that must all appear in one unit, the first
    being the act (a negation right before it clears the sign). A group written "!terms"
    names the correct method instead: a unit that uses one of its terms is not flagged."""
    found = tuple(term_pattern(g) for g in groups if not g.lstrip().startswith("!"))
    if not found:
        raise ValueError("a sign needs at least one term group that is not an exclusion")
    unless = tuple(term_pattern(g.lstrip()[1:]) for g in groups if g.lstrip().startswith("!"))
    return Sign(all=found, unless=unless, strict=True)


@cache
def flag_signs(signs: tuple[tuple[str, ...], ...]) -> tuple[Sign, ...]:
    """A red flag's signs, built once however many answers are graded against them."""
    return tuple(flag_sign(sign) for sign in signs)


def shows_sign(units: tuple[str, ...] | list[str], signs: tuple[Sign, ...]) -> str | None:
    """The first unit that shows one of the signs (with the same negation and rejection rules
    as the built-in detectors), or None."""
    return first_sign(signs, [normalize(u).lower() for u in units], units)


def first_sign(
    signs: tuple[Sign, ...],
    texts: list[str],
    units: tuple[str, ...] | list[str],
    unless: tuple[str, ...] = (),
) -> str | None:
    """The first unit (or two neighbouring units) that shows one of the signs, as quoted from
    `units`; `texts` are the same units normalized and lowercased."""
    whole = " ".join(texts)
    for sign in signs:
        # A pattern found nowhere in the answer is found in none of its windows: most signs
        # stop here, which keeps the detectors to a few milliseconds per answer.
        if not all(compiled(p).search(whole) for p in sign.all):
            continue
        # Windows of `span` units; the last ones are shorter, so the last unit is read alone.
        for i in range(len(texts)):
            if shows(" ".join(texts[i : i + sign.span]), sign, unless):
                return " ".join(units[i : i + sign.span])
    return None
