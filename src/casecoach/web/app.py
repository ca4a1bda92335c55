"""The web app factory: one Store, one case library and one grader per process.

`casecoach serve` runs it with uvicorn; tests and `benchmarks/web_load.py` run it the same way.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from casecoach import __version__
from casecoach.cases.loader import CaseLibrary
from casecoach.grading.registry import default_grader_name, get_grader
from casecoach.paths import home_dir, user_cases_dir
from casecoach.store import Store
from casecoach.web import api, pages
from casecoach.web.context import WebContext
from casecoach.web.interviews import GradingFailed, Interviews
from casecoach.web.security import (
    BodyLimitMiddleware,
    Csrf,
    SecurityHeadersMiddleware,
    load_secret,
)

HERE = Path(__file__).resolve().parent
WORKER_THREADS = 128
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
log = logging.getLogger("casecoach.web")


def _templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every template, whatever its name: candidate text is escaped
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["version"] = __version__
    return Jinja2Templates(env=env)


def _wants_json(request: Request) -> bool:
    if request.url.path.startswith("/api") or request.url.path == "/openapi.json":
        return True
    return "text/html" not in request.headers.get("accept", "text/html")


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    return pages.render(request, "error.html",
                        {"status": status, "title": title, "message": message}, status)


TITLES = {
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "Out of step",
    413: "Too large",
    415: "Unsupported type",
    422: "Not understood",
    503: "Try again",
}


def create_app(
    store_url: str | None = None,
    *,
    allowed_hosts: Sequence[str] | None = None,
    grader: str | None = None,
) -> FastAPI:
    """The casecoach web app on the store at `store_url` (default: the CLI's store).

    `allowed_hosts` are the Host header values served (default: localhost names only, which
    also defeats DNS rebinding); pass ["*"] to serve any. `grader` names the grader, by
    default the CLI's (hybrid when an LLM is configured, else embedded).
    """
    store = Store.open(store_url)
    try:
        the_grader = get_grader(grader or default_grader_name())  # loaded now, not on answer 1
        library = CaseLibrary.load(user_cases_dir())
        secret = load_secret(home_dir())
    except BaseException:
        store.close()
        raise
    for problem in library.problems:
        log.warning("Skipping a broken case file: %s", problem)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Requests waiting for a grading slot hold a worker thread: give cheap requests
        # (pages, new sessions, skips) threads of their own rather than queue behind them.
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = max(limiter.total_tokens, WORKER_THREADS)
        yield
        store.close()

    app = FastAPI(
        title="casecoach",
        version=__version__,
        description="Practise product data-science case interviews: the same engine and "
        "store as the casecoach CLI. Writes need the header `X-Requested-With`.",
        docs_url=None,  # Swagger UI and ReDoc load from a CDN: no network at run time
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.state.web = WebContext(
        interviews=Interviews(store, library, the_grader),
        templates=_templates(),
        csrf=Csrf(secret),
    )
    app.include_router(pages.router)
    app.include_router(api.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    # Outermost last: hosts are checked first, then the body size, then headers are added.
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(BodyLimitMiddleware)
    hosts = list(allowed_hosts) if allowed_hosts is not None else list(LOCAL_HOSTS)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = str(exc.detail) if exc.detail else "Something is not right with this request."
        if exc.status_code == 404 and message == "Not Found":
            message = f"There is no page at {request.url.path}."
        return _error_page(request, exc.status_code, TITLES.get(exc.status_code, "Error"),
                           message)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": exc.errors()}, status_code=422)
        fields = ", ".join(str(e.get("loc", ["?"])[-1]) for e in exc.errors())
        return _error_page(request, 422, TITLES[422],
                           f"The form was missing or had a bad value for: {fields}.")

    @app.exception_handler(GradingFailed)
    async def grading_failed(request: Request, exc: GradingFailed) -> Response:
        log.exception("grading failed", exc_info=exc)
        return _error_page(request, 503, TITLES[503],
                           "Your answer is saved, but grading it failed. Reload the page to "
                           "grade it again.")

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path, exc_info=exc)
        return _error_page(request, 500, "Something went wrong",
                           "casecoach hit an unexpected error. Every answer you submitted is "
                           "saved; reload the page to carry on.")

    return app
