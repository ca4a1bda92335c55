"""The hybrid grader: the embedded grader finds the evidence, an LLM judges and explains it.

The default when an LLM is configured. The model sees, for each rubric point, the sentence the
embedded grader matched and its verdict, and may confirm it, overrule it, or cite other words of
the answer. Everything the LLM grader does not trust applies here too (see `grading.llm`):
quotes are checked against the answer, the score is computed by casecoach and bounded by the
embedded evidence, and any failure falls back to the embedded grade with a note.
"""

from __future__ import annotations

from casecoach.grading.llm import LlmGrader


class HybridGrader(LlmGrader):
    """`--grader hybrid`: embedded evidence, LLM judgement and feedback."""

    name = "hybrid"
    version = "0.1.0"
    uses_evidence = True
