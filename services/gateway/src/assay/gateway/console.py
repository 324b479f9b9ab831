"""``/console``: the web console, static files shipped in this package (no build step, no CDN)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

FILES = Path(__file__).parent / "console_static"
"""index.html, console.js and console.css."""
PATH = "/console"


def add_console(app: FastAPI) -> None:
    """Serve the console at ``/console/`` (``/console`` redirects there)."""

    @app.get(PATH, include_in_schema=False)
    async def console_root() -> RedirectResponse:
        return RedirectResponse(f"{PATH}/", status_code=308)

    app.mount(PATH, StaticFiles(directory=FILES, html=True), name="console")
