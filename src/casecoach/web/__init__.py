"""The browser UI: `casecoach serve`, on the same engine and store as the CLI.

Importing this package imports FastAPI; the CLI imports it only inside `casecoach serve`.
"""

from casecoach.web.app import create_app

__all__ = ["create_app"]
