"""Every page and endpoint of the app has a test that says so with `@pytest.mark.covers`."""

from __future__ import annotations

import ast
from pathlib import Path

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

from casecoach.web import api, pages

HERE = Path(__file__).resolve().parent
# Served by FastAPI itself: tested in test_api.py::test_openapi_lists_the_api.
FRAMEWORK = {"GET /openapi.json"}


def app_routes(app: FastAPI) -> set[str]:
    """Every method and path: the app's own routes and those of the routers it includes.

    The routers are read directly: recent FastAPI wraps included routers in a private type.
    """
    routes: set[str] = set()
    for route in [*app.routes, *pages.router.routes, *api.router.routes]:
        if isinstance(route, APIRoute | Route):
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    routes.add(f"{method} {route.path}")
        elif isinstance(route, Mount):
            routes.add(f"GET {route.path}/{{path}}")
    return routes


def covered_routes() -> dict[str, list[str]]:
    """`covers(...)` arguments of every test in tests/web, read from the source."""
    covered: dict[str, list[str]] = {}
    for path in sorted(HERE.glob("test_*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for decorator in node.decorator_list:
                if (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                        and decorator.func.attr == "covers"):
                    for arg in decorator.args:
                        assert isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                        covered.setdefault(arg.value, []).append(f"{path.name}::{node.name}")
    return covered


def test_every_route_has_a_test(web_app: FastAPI) -> None:
    routes = app_routes(web_app) - FRAMEWORK
    covered = covered_routes()
    assert routes - set(covered) == set(), "routes without a test"
    assert set(covered) - routes == set(), "tests that cover routes the app does not have"
    assert len(routes) >= 20
    assert all(not r.split()[1].startswith("/docs") for r in routes)
