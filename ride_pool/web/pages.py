"""Page routes and static files of the web apps, added to the FastAPI app by :func:`install`.

=================  ==========================================================
path               what
=================  ==========================================================
``/``              rider page (``templates/rider.html``)
``/bookings/{id}`` the rider page opened on one booking (deep link)
``/driver``        driver page (``templates/driver.html``)
``/driver-sw.js``  the driver page's service worker (``static/js/driver/sw.js`` with its file list)
``/rider-sw.js``   the rider page's service worker for Web Push (``static/js/rider/push-sw.js``)
``/ops``           operator dashboard (``templates/ops.html``)
``/static/...``    CSS, JavaScript modules (``static/``)
``/api/v1/config`` what the pages need to know about the installation (map tiles, time zone)
=================  ==========================================================
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

_PLACEHOLDER = """<!doctype html>
<html lang="de"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ride_pool</title><link rel="stylesheet" href="/static/css/base.css"></head>
<body><main class="page"><h1>{title}</h1><p>Diese Seite ist noch nicht da. / This page is not there yet.</p>
<p><a href="/">Fahrgast / Rider</a> · <a href="/driver">Fahrer:in / Driver</a></p></main></body></html>
"""

#: pages are never cached (they change with every release); static files are revalidated
_NO_CACHE = {"Cache-Control": "no-cache"}


def _page(name: str, title: str):
    path = TEMPLATES / name

    def serve():
        if path.is_file():
            return FileResponse(path, media_type="text/html; charset=utf-8", headers=_NO_CACHE)
        return HTMLResponse(_PLACEHOLDER.format(title=title), headers=_NO_CACHE)

    return serve


class _StaticFiles(StaticFiles):
    """Static files that browsers revalidate (so a new release is picked up at once)."""

    def file_response(self, *args, **kwargs):
        response = super().file_response(*args, **kwargs)
        response.headers.setdefault("Cache-Control", "no-cache")
        return response


#: ``href="/static/..."`` and ``src="/static/..."`` in a page; ``import ... from "/static/js/..."``,
#: ``import "/static/js/..."`` and ``import("/static/js/...")`` in a module
_PAGE_FILES = re.compile(r"""(?:href|src)=["'](/static/[^"'?#]+)["']""")
_MODULE_IMPORTS = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*)["'](/static/js/[^"'?#]+)["']""")


def page_files(page: str) -> list[str]:
    """The URL paths of every style sheet, script and module the page ``page`` (a template name)
    loads: those it names and, for every script, the modules it imports, recursively."""
    html = (TEMPLATES / page).read_text(encoding="utf-8")
    found: list[str] = []
    todo = _PAGE_FILES.findall(html)
    while todo:
        path = todo.pop(0)
        if path in found or not (STATIC / path.removeprefix("/static/")).is_file():
            continue
        found.append(path)
        if path.endswith(".js"):
            todo.extend(_MODULE_IMPORTS.findall((STATIC / path.removeprefix("/static/")).read_text(encoding="utf-8")))
    return found


def driver_worker_script() -> str:
    """The driver page's service worker (``static/js/driver/sw.js``) with its manifest filled in:
    the page and all its files, and a version from their contents (any change to one of them is a
    new worker, which fetches them again and drops the old cache)."""
    source = (STATIC / "js" / "driver" / "sw.js").read_text(encoding="utf-8")
    files = page_files("driver.html")
    digest = hashlib.sha256(source.encode())
    for path in ["/templates/driver.html", *files]:
        where = TEMPLATES / "driver.html" if path.startswith("/templates/") else STATIC / path.removeprefix("/static/")
        digest.update(path.encode() + b"\0" + where.read_bytes())
    manifest = {"version": digest.hexdigest()[:16], "files": ["/driver", *files]}
    marker = "/*MANIFEST*/"
    start = source.index(marker)
    end = source.index(";", start)
    return source[:start] + json.dumps(manifest) + source[end:]


def _driver_worker() -> Response:
    # the scope /driver is within the worker's own folder (/), so no Service-Worker-Allowed is needed;
    # it is sent anyway to say the worker is meant for the driver page only
    return Response(driver_worker_script(), media_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/driver"})


def _rider_worker() -> Response:
    """The rider page's service worker for Web Push (issue 17), at the root so its scope is ``/``."""
    return FileResponse(STATIC / "js" / "rider" / "push-sw.js", media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "no-cache"})


def install(app: FastAPI) -> None:
    """Add the page routes, ``/static`` and ``GET /api/v1/config`` to ``app``."""
    rider = _page("rider.html", "Rufbus")
    app.add_api_route("/", rider, methods=["GET"], include_in_schema=False)
    app.add_api_route("/bookings/{booking_id}", rider, methods=["GET"], include_in_schema=False)
    app.add_api_route("/driver", _page("driver.html", "Rufbus – Fahrer:in"), methods=["GET"],
                      include_in_schema=False)
    app.add_api_route("/driver-sw.js", _driver_worker, methods=["GET"], include_in_schema=False)
    app.add_api_route("/rider-sw.js", _rider_worker, methods=["GET"], include_in_schema=False)
    app.add_api_route("/ops", _page("ops.html", "Rufbus – Disposition"), methods=["GET"], include_in_schema=False)
    app.mount("/static", _StaticFiles(directory=STATIC), name="static")

    @app.get("/api/v1/config", tags=["service"])
    def config(request: Request) -> dict:
        """What the web pages need: an optional raster tile layer for the maps
        (``RIDE_POOL_TILE_URL`` with ``{z}/{x}/{y}``, and its attribution), the time zone and the
        booking lead time and window width of the service rules."""
        service = request.app.state.service
        settings = service.settings
        rules = service.dispatcher.rules if service.dispatcher is not None else None
        return {"tile_url": getattr(settings, "tile_url", None) or None,
                "tile_attribution": getattr(settings, "tile_attribution", "") or "",
                "timezone": rules.timezone if rules else "Europe/Berlin",
                "min_lead_s": rules.min_lead_s if rules else None, "window_s": rules.window_s if rules else None,
                "offer_ttl_s": rules.offer_ttl_s if rules else None,
                "network": service.network.name, "synthetic": bool(service.network.synthetic)}
