"""The API documentation page ``/docs`` (Swagger UI), served from assets shipped in the
``fastapi-offline`` package: nothing is loaded from a CDN, and the page runs under the same
Content-Security-Policy as the rest (no inline scripts or styles; ``static/js/api-docs.js``
starts it).

``/redoc`` is off: ReDoc needs inline styles, a ``blob:`` worker and loads its logo from its
CDN, which the policy refuses. The machine-readable API is ``/openapi.json``.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

#: swagger-ui-bundle.js, swagger-ui.css and favicon.png (and redoc.standalone.js, not used)
ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS_URL = "/docs/assets"
DOCS_URL = "/docs"

_SWAGGER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} – API</title><link rel="icon" href="{assets}/favicon.png">
<link rel="stylesheet" href="{assets}/swagger-ui.css"></head>
<body><div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{root}/static/js/api-docs.js"></script></body></html>
"""


def install(app: FastAPI) -> None:
    """Add ``/docs`` and its assets to ``app`` (created with ``docs_url=None, redoc_url=None``)."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = escape(request.scope.get("root_path", "") or "")
        return HTMLResponse(_SWAGGER.format(title=escape(app.title), root=root, assets=root + ASSETS_URL,
                                            openapi=root + escape(app.openapi_url or "/openapi.json")))
