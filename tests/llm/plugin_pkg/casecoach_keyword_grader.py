"""A third-party grader: a criterion is met when the answer uses one of its keywords."""

from __future__ import annotations

from casecoach.grading import CriterionResult, Grade, GradingTask, level_for
from casecoach.grading.embedded import points_for


class KeywordGrader:
    name = "keyword-count"
    version = "0.1.0"

    def grade(self, task: GradingTask) -> Grade:
        task.check()
        text = task.answer.lower()
        points, _ = points_for(task.question)
        results = []
        for p in points:
            terms = [k.rstrip("*").lower() for k in p.keywords] or p.description.lower().split()
            hit = next((t for t in terms if t and t in text), None)
            results.append(CriterionResult(id=p.id, description=p.description, weight=p.weight,
                                           status="met" if hit else "missed", quote=hit))
        total = sum(p.weight for p in points) or 1.0
        score = 1.0 + 4.0 * sum(r.weight for r in results if r.status == "met") / total
        return Grade(score=round(score, 2), level=level_for(score), criteria=results,
                     grader=self.name, grader_version=self.version)
