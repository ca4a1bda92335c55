"""casecoach: a practice interviewer for product data-science case interviews."""

__version__ = "0.1.0"
