"""The competencies the round is scored on, and case difficulty: plain enums, cheap to import.

Kept apart from the pydantic schema so the command line can name them in its options without
loading pydantic before it is needed.
"""

from __future__ import annotations

from enum import StrEnum


class Competency(StrEnum):
    """The five competencies of the analytical-reasoning round, plus two optional extras."""

    research_design = "research-design"
    analytical_design = "analytical-design"
    storytelling = "storytelling"
    goals_metrics = "goals-metrics"
    data_visualization = "data-visualization"
    product_sense = "product-sense"
    statistics = "statistics"

    @property
    def label(self) -> str:
        return COMPETENCY_LABELS[self]


COMPETENCY_LABELS: dict[Competency, str] = {
    Competency.research_design: "Research design",
    Competency.analytical_design: "Analytical design",
    Competency.storytelling: "Storytelling with data",
    Competency.goals_metrics: "Goals & success metrics",
    Competency.data_visualization: "Data visualization",
    Competency.product_sense: "Product sense",
    Competency.statistics: "Statistics & probability",
}


class Difficulty(StrEnum):
    easy = "easy"
    medium = "medium"
    hard = "hard"
