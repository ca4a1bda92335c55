"""What every route needs, kept on `app.state` by `create_app` and handed out as dependencies."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.templating import Jinja2Templates

from casecoach.web.interviews import Interviews
from casecoach.web.security import Csrf


@dataclass(frozen=True)
class WebContext:
    interviews: Interviews
    templates: Jinja2Templates
    csrf: Csrf


def web(request: Request) -> WebContext:
    context: WebContext = request.app.state.web
    return context


def interviews(request: Request) -> Interviews:
    return web(request).interviews
