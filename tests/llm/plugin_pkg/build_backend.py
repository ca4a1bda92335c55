"""A minimal PEP 517 backend: builds this folder's one-module wheel with the standard library."""

from __future__ import annotations

import base64
import hashlib
import tomllib
import zipfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


def _project() -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads((HERE / "pyproject.toml").read_text("utf-8"))["project"]
    return data


def _files() -> tuple[str, dict[str, bytes]]:
    project = _project()
    dist = project["name"].replace("-", "_")
    info = f"{dist}-{project['version']}.dist-info"
    entry_points = "".join(
        f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in eps.items()) + "\n"
        for group, eps in project.get("entry-points", {}).items()
    )
    module = "casecoach_keyword_grader.py"
    files = {
        module: (HERE / module).read_bytes(),
        f"{info}/METADATA": (f"Metadata-Version: 2.1\nName: {project['name']}\n"
                             f"Version: {project['version']}\n"
                             f"Summary: {project['description']}\n").encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: build_backend\n"
                         b"Root-Is-Purelib: true\nTag: py3-none-any\n",
        f"{info}/entry_points.txt": entry_points.encode(),
    }
    return f"{dist}-{project['version']}-py3-none-any.whl", files


def _hash(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def get_requires_for_build_wheel(config_settings: object = None) -> list[str]:
    return []


def build_wheel(wheel_directory: str, config_settings: object = None,
                metadata_directory: str | None = None) -> str:
    name, files = _files()
    info = next(p.split("/")[0] for p in files if p.endswith("/WHEEL"))
    record = [f"{path},sha256={_hash(data)},{len(data)}" for path, data in files.items()]
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    with zipfile.ZipFile(Path(wheel_directory) / name, "w", zipfile.ZIP_DEFLATED) as wheel:
        for path, data in files.items():
            wheel.writestr(path, data)
    return name
