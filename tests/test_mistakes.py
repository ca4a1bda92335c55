"""Method mistakes found by their wording: each detector catches its mistake in words it was not
written from, stands down when the sentence rejects it, and never fires on a correct claim."""

from __future__ import annotations

import pytest

from casecoach.cases.loader import CaseLibrary
from casecoach.grading import GradingTask, get_grader
from casecoach.grading.mistakes import MISTAKE_IDS, MISTAKES, find_mistakes
from casecoach.grading.text import split_units
from casecoach.grading.wording import flag_sign, shows_sign
from tests.conftest import is_right, labelled_claims

# (mistake, an answer that makes it, the same idea rejected or done right)
EXAMPLES = [
    (
        "peeking",
        "We'll watch the dashboard every morning and call the test the first day retention "
        "comes out significant.",
        "We fix four weeks in advance and will not stop the test when retention first looks "
        "significant; a sequential design would be the way to look early.",
    ),
    (
        "subgroup-fishing",
        "After the readout I'd slice the results by every country and age band and headline "
        "whichever segment is significant.",
        "We name two segments in advance and correct for multiple comparisons; anything else is "
        "exploratory and needs a new test.",
    ),
    (
        "null-read-as-no-effect",
        "Retention was not statistically significant, so the tool has no effect on it.",
        "Retention was not significant, but that does not mean no effect: the interval runs from "
        "-0.4 to +1.0 points, so a one-point gain is still possible.",
    ),
    (
        "truncated-axis",
        "Two bars with the y-axis starting at 0.58 so the difference is easy to see.",
        "Two bars on an axis that starts at zero, each with its 95% interval.",
    ),
    (
        "users-vs-non-users",
        "The effect is the difference between admins who opened the dashboard and admins who "
        "never opened it.",
        "Comparing admins who opened it with those who never did would be biased by "
        "self-selection, so the primary estimate is intent-to-treat.",
    ),
    (
        "before-after-as-effect",
        "Launch it to everyone and compare activity in the month before and after the launch to "
        "measure its impact.",
        "A before-and-after comparison would confound the launch with seasonality, so we keep a "
        "randomized control group.",
    ),
    (
        "individual-randomization",
        "We randomly assign 112,000 admins to treatment and 112,000 to control, 50/50 at the "
        "admin level.",
        "We randomize whole groups, so every admin of a group lands in the same arm.",
    ),
    (
        "no-guardrails",
        "Members never see the dashboard, so guardrails aren't needed for this launch.",
        "Guardrails: reports per 1,000 member-days and admin notification opt-outs, each with a "
        "threshold that blocks the launch.",
    ),
    (
        "no-guardrails",
        "I'd deliberately not set guardrails on messaging or calls; they can't plausibly move.",
        "I would not set guardrails on vanity metrics, only on messaging and calls.",
    ),
    (
        "uncertainty-left-off",
        "I'd skip error bars; with 4M users per arm everything is precise anyway.",
        "Every bar gets its 95% interval as a whisker, so small gaps don't look decisive.",
    ),
    (
        "truncated-axis",
        "I'd start the axis just below the control value so the 3% gain is clearly visible.",
        "The bars start at zero and the 3% gain is labelled on the bar.",
    ),
    (
        "null-read-as-no-effect",
        "Open time dropped by as much as 6%, and messaging was unaffected, since the -0.1% "
        "isn't significant.",
        "Messaging's -0.1% isn't significant, but the loss could be as much as 0.3%.",
    ),
    (
        "short-read-as-long-run",
        "Two weeks is enough to give the long-term effect on retention.",
        "Two weeks is too short to know the long-term effect on retention.",
    ),
    (
        "subgroup-fishing",
        "About 60 cuts in all, and wherever the effect is significant we recommend the bar. I "
        "wouldn't correct for multiple comparisons here.",
        "About 60 cuts in all, so I'd correct for multiple comparisons and treat the best cells "
        "as hypotheses.",
    ),
    (
        "subgroup-fishing",
        "I'd headline the strongest significant segments, because averages hide the story.",
        "We'd recommend the best segment only after a confirmatory test.",
    ),
    (
        "bad-result-hidden",
        "Lead with the activity win and put the flat retention number in the appendix.",
        "Lead with the recommendation, give the flat retention result its own line on the first "
        "slide, and put the model details in the appendix.",
    ),
    (
        "survivor-average",
        "The key metric is the average days to sell among listings that sold in the test.",
        "Days to sell come from survival curves over all listings, unsold ones censored at day "
        "30.",
    ),
    (
        "cumulative-as-success",
        "Our north star is cumulative assistant triers, which shows the product is growing.",
        "Weekly new triers and their month-one return rate, because a cumulative count can only "
        "go up.",
    ),
    (
        "correlation-as-cause",
        "Dashboard opens and group activity move together week by week, which proves the "
        "insights drive activity.",
        "Opens and activity move together, but engaged admins do both, so that correlation "
        "is not the effect; the randomized comparison is.",
    ),
    (
        "any-metric-significant",
        "We track twelve metrics and ship if any of them comes out significant.",
        "One primary metric is fixed in advance; the other eleven are secondary and corrected "
        "with Holm.",
    ),
    (
        "null-spun-as-win",
        "Retention is trending in the right direction, so I'd present it as an early win.",
        "Retention moved +0.3 points with an interval from -0.2 to +0.8: we can't claim it, and "
        "I'd say so on the first slide.",
    ),
    (
        "trend-extrapolated",
        "The weekly cost shrinks by 0.35 points a week, so if we fit a line it turns positive "
        "by week six.",
        "The weekly cost is shrinking, but four points cannot say where it settles, so a "
        "holdout will tell us.",
    ),
    (
        "p-value-as-probability",
        "With p = 0.03 there is a 97% chance the lift is real.",
        "p = 0.03 says data this extreme would be rare if there were no effect.",
    ),
    (
        "test-changed-after-results",
        "Retention came out at p = 0.08, so I'd switch to a one-sided test, since we only care "
        "about improvement.",
        "The test and its one metric were pre-registered before launch; winsorizing at the 99th "
        "percentile is in the plan.",
    ),
    (
        "srm-ignored",
        "There's a small SRM, 50.4 versus 49.6, but it's negligible, so we can proceed.",
        "The arms split 50.4 / 49.6, a sample ratio mismatch at p < 0.001, so I'd stop and find "
        "the cause before reading anything.",
    ),
    (
        "no-control-group",
        "Skip the holdout and track retention for all admins after launch to measure the impact.",
        "We can't measure the impact without a control group, so 80,000 groups stay in a "
        "randomized control arm.",
    ),
    (
        "independent-observations",
        "Treat every member-day as an independent observation; with billions of rows the "
        "standard errors will be tiny.",
        "Member-days of one group are not independent, so standard errors are clustered by group.",
    ),
    (
        "uncertainty-left-off",
        "I'd leave out the error bars so the slide stays clean for the product team.",
        "Each bar carries its 95% interval, labelled so the team can see what is noise.",
    ),
    (
        "dual-axis-as-evidence",
        "Plot activity on the left axis and dashboard opens on the right axis to show that "
        "usage drives activity.",
        "Two lines on a shared axis, indexed to 100 at launch; a dual axis would let any two "
        "series look linked, so I'd avoid it.",
    ),
    (
        "tool-usage-as-success",
        "The primary success metric is weekly dashboard opens per admin.",
        "Dashboard opens are a diagnostic of adoption; success is admin retention and group "
        "activity.",
    ),
    (
        "short-read-as-long-run",
        "One week is enough to measure the lasting effect on retention.",
        "The first week carries a novelty bump, so we read the effect from week three onwards "
        "and keep a holdout for months.",
    ),
]


def test_every_detector_has_an_example() -> None:
    assert {m.id for m in MISTAKES} == {e[0] for e in EXAMPLES}


@pytest.mark.parametrize(("mistake", "wrong", "right"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_detector_catches_the_mistake_and_not_its_rejection(
    mistake: str, wrong: str, right: str
) -> None:
    hits = find_mistakes(split_units(wrong), linked=MISTAKE_IDS)
    assert mistake in {h.id for h in hits}
    hit = next(h for h in hits if h.id == mistake)
    assert hit.quote in wrong  # the quote is the answer's own words
    assert find_mistakes(split_units(right), linked=MISTAKE_IDS) == []


def test_a_case_dependent_detector_runs_only_where_a_red_flag_names_it() -> None:
    answer = ["We randomly assign half of all users to the new layout and half to the old one."]
    assert find_mistakes(answer) == []  # right for a feature each person sees alone
    linked = find_mistakes(answer, linked=frozenset({"individual-randomization"}))
    assert [h.id for h in linked] == ["individual-randomization"]


def test_a_mistake_split_over_two_sentences_is_caught() -> None:
    answer = "Retention did not reach significance. So the tool has no effect on whether they stay."
    assert [h.id for h in find_mistakes(split_units(answer))] == ["null-read-as-no-effect"]


def test_no_detector_fires_on_correct_claims_or_rejections() -> None:
    """Precision on 2,253 labelled sentences: those that make a rubric point correctly and
    those that reject a red flag. A detector that fired on one would cap a good answer."""
    correct = [c for c in labelled_claims() if is_right(c)]
    assert len(correct) > 2000
    fired = [
        (c["text"], [h.id for h in hits]) for c in correct if (hits := find_mistakes([c["text"]]))
    ]
    assert fired == []


def test_linked_detectors_spare_correct_claims_of_their_cases() -> None:
    linked_by_case = {
        case.id: frozenset(f.detector for q in case.questions if q.rubric
                           for f in q.rubric.red_flags if f.detector)
        for case in CaseLibrary.load()
    }
    assert any(linked_by_case.values())
    fired = []
    for c in labelled_claims():
        if is_right(c) and (hits := find_mistakes([c["text"]], linked=linked_by_case[c["case"]])):
            fired.append((c["text"], [h.id for h in hits]))
    assert fired == []


def test_no_detector_fires_on_ideal_answers_or_rubric_phrasings() -> None:
    for case in CaseLibrary.load():
        linked = frozenset(f.detector for q in case.questions if q.rubric
                           for f in q.rubric.red_flags if f.detector)
        for question in case.questions:
            found = find_mistakes(split_units(question.ideal_answer), linked=linked)
            assert found == [], (case.id, question.id)
            for criterion in question.rubric.criteria if question.rubric else []:
                for phrasing in criterion.phrasings:
                    assert find_mistakes([phrasing], linked=linked) == [], (case.id, phrasing)


def test_a_method_mistake_caps_the_grade_with_its_quote() -> None:
    case = CaseLibrary.load().get("community-insights")
    question = case.question("storytelling")
    answer = (
        question.ideal_answer
        + "\n\nOn retention, 71.3% against 71.0% was not significant, so the tool has no effect "
        "on admin retention and we can stop tracking it."
    )
    grade = get_grader("embedded").grade(GradingTask(question=question, answer=answer, case=case))
    flagged = {f.id: f for f in grade.red_flags}
    assert grade.score <= 2.5
    assert any("no effect on admin retention" in f.quote for f in flagged.values())


def _flag_signs(case_id: str) -> list[tuple[str, tuple]]:
    case = CaseLibrary.load().get(case_id)
    return [
        (flag.id, tuple(flag_sign(sign) for sign in flag.signs))
        for question in case.questions if question.rubric
        for flag in question.rubric.red_flags if flag.signs
    ]


def test_red_flag_signs_spare_correct_claims_ideals_and_phrasings() -> None:
    """Every sign a built-in red flag gives, against its own case's correct claims, every
    ideal answer of the case and every rubric phrasing: none may fire."""
    checked = 0
    for case in CaseLibrary.load():
        signs = _flag_signs(case.id)
        texts = [c["text"] for c in labelled_claims() if c["case"] == case.id and is_right(c)]
        texts += [p for q in case.questions if q.rubric for c in q.rubric.criteria
                  for p in c.phrasings]
        for flag_id, flag_signs in signs:
            checked += 1
            for text in texts:
                assert shows_sign([text], flag_signs) is None, (case.id, flag_id, text)
            for question in case.questions:
                found = shows_sign(split_units(question.ideal_answer), flag_signs)
                assert found is None, (case.id, flag_id, found)
    assert checked >= 20


def test_a_signed_red_flag_is_reported_with_its_quote() -> None:
    case = CaseLibrary.load().get("community-insights")
    question = case.question("storytelling")
    answer = question.ideal_answer + (
        "\n\nFor the deck, I'd lay out both results and let the product team decide what to do."
    )
    grade = get_grader("embedded").grade(GradingTask(question=question, answer=answer, case=case))
    flagged = {f.id: f.quote for f in grade.red_flags}
    assert "let the product team decide" in flagged.get("no-recommendation", "")
    assert grade.score <= 2.5


RANDOMIZE = ["randomi* | assign*", "admin level | individual admins"]


@pytest.mark.parametrize(
    ("groups", "text", "shown"),
    [
        (RANDOMIZE, "We randomize at the admin-level.", True),
        (RANDOMIZE, "We won't randomize individual admins.", False),
        ([*RANDOMIZE, "!cluster*"], "Randomize at the admin level, clustered.", False),
        (["tap* | click*", "count as"], "A tap doesn't count as a visit.", False),
        (["leave out | skip", "retention"], "I'd leave out the flat retention result.", True),
        (["bars? | columns", "no intervals"], "Two bars, no intervals.", True),
        (["co-admins", "same arm"], "All co admins land in the same arm.", True),
        (["+6% | 6%", "headline"], "The headline is +6% more items sold.", True),
        (["+6% | 6%", "headline"], "The headline: revenue moved -0.6%, a flat result.", False),
        # the longer term is matched whole, so its own "n't" does not clear the sign
        (["compare", "those who | those who didn't"], "Compare those who didn't use it.", True),
        # a negation that only names the comparison group is not a denial
        (["compare", "users who hit * refusal", "return"],
         "I'd compare users who hit a refusal with users who didn't on next-day return.", True),
        (["compare", "users who hit * refusal", "return"],
         "I wouldn't compare users who hit a refusal on next-day return.", False),
        # a correct method named only to be replaced or called too noisy does not clear it
        (["total posts", "headline", "!per dau"],
         "Posts per DAU is too noisy, so the headline should be total posts.", True),
        (["total posts", "headline", "!per dau"],
         "Switch the headline from posts per DAU to total posts.", True),
        (["total posts", "headline", "!per dau"],
         "The headline is posts per DAU, with total posts as context.", False),
        # a list the sentence rejects, and "nobody" as a negation
        (["raw comment counts", "goal"], "Make raw comment counts the goal.", True),
        (["raw comment counts", "goal"],
         "What I'd avoid: raw comment counts as the goal, which reward fights.", False),
        (["pie chart*", "group size"], "Left out: a pie chart by group size.", False),
        (["two axes"], "Same units on both panels, so nobody juggles two axes.", False),
    ],
)
def test_sign_syntax(groups: list[str], text: str, shown: bool) -> None:
    assert (shows_sign([text], (flag_sign(groups),)) is not None) == shown
