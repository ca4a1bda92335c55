"""A starting point for a new case file: valid as written, every field shown once."""

from __future__ import annotations

from casecoach.cases.schema import Competency

_TEMPLATE = """\
# A casecoach case. Check it with: casecoach cases validate {file_name}
# Every question needs a prompt and an ideal answer; a rubric is optional (without one,
# answers are graded against the ideal answer's key points).
id: {case_id}
title: {title}
product_area: Your product area
difficulty: medium        # easy | medium | hard
tags: [experimentation]   # product area and methods, lowercase-with-dashes
scenario: |
  Describe the product, the change, and the numbers a candidate needs to be specific:
  daily users, baseline rates, costs, how many users a test can reach.
questions:
  - id: {competency}
    competency: {competency}   # one of: {competencies}
    minutes: 8
    prompt: |
      How would you design a study to tell whether the change works?
    rubric:
      criteria:
        - id: randomized-design
          description: Proposes a randomized experiment with the right unit of randomization.
          weight: 3
          phrasings:
            - I'd run an A/B test, randomizing at the level where the feature acts.
            - Randomly assign whole groups to treatment and control so effects don't leak.
            - A randomized rollout with a holdout gives a causal comparison.
          keywords: [randomi*, a/b, holdout, experiment]
          hint: Say how you would randomize, and at which unit.
      red_flags:
        - id: adopters-vs-non-adopters
          description: Calls the gap between users who chose the feature and the rest causal.
          penalty: 1.0
          phrasings:
            - Compare users who turned the feature on with those who didn't; the gap is its effect.
            - The adopters are more engaged than non-adopters, which proves the feature works.
          # Optional: a built-in wording detector, and your own signs (term groups that must
          # all appear in one sentence; "|" separates terms, "*" any ending, "!" clears).
          detector: users-vs-non-users
          signs:
            - ["adopters | who turned it on", "non-adopters | who didn't", "effect | proves"]
    follow_ups:
      - prompt: Which unit would you randomize, and why that one?
        targets: [randomized-design]
    ideal_answer: |
      Write the answer a strong senior data scientist would give: specific to the scenario's
      numbers, covering every criterion above, naming the trade-offs.
"""


def scaffold(case_id: str, title: str | None = None) -> str:
    """The text of a new case file for `case_id`."""
    return _TEMPLATE.format(
        case_id=case_id,
        title=title or case_id.replace("-", " ").capitalize(),
        file_name=f"{case_id}.yaml",
        competency=Competency.research_design.value,
        competencies=", ".join(c.value for c in Competency),
    )
