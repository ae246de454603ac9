"""The driver page's service worker as the server serves it (issue 14): ``GET /driver-sw.js``.

* It is JavaScript from this server, revalidated on every load, allowed the scope ``/driver``, and
  the Content-Security-Policy names ``worker-src 'self'``.
* Its manifest lists the page and every file the page loads: the style sheets and scripts
  ``driver.html`` names and every module they import, transitively (a module missing from the
  list would be missing offline).
* Its version follows the contents of those files: a changed module is a new worker (which
  fetches everything again and drops the old cache); unchanged files keep the version.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

from api_support import *  # noqa: F401,F403 - fixtures api, clock, ...
from ride_pool.web import pages

IMPORT = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*)["'](/static/js/[^"']+)["']""")


def manifest_of(script: str) -> dict:
    found = re.search(r"const MANIFEST = (\{.*?\});", script)
    assert found, script[:400]
    return json.loads(found.group(1))


def test_the_worker_is_served_for_the_driver_page(api):
    r = api.client.get("/driver-sw.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers["service-worker-allowed"] == "/driver"
    assert r.headers["cache-control"] == "no-cache"
    assert "worker-src 'self'" in r.headers["content-security-policy"]
    manifest = manifest_of(r.text)
    assert re.fullmatch(r"[0-9a-f]{16}", manifest["version"])
    assert manifest["files"][0] == "/driver"
    for path in manifest["files"][1:]:                 # every file is there to be cached
        assert api.client.get(path).status_code == 200, path
    page = api.client.get("/driver")
    assert '<script src="/static/js/driver/theme-init.js">' in page.text


def test_the_manifest_holds_every_module_the_page_imports():
    files = pages.page_files("driver.html")
    for needed in ("/static/css/base.css", "/static/css/driver.css", "/static/js/driver.js",
                   "/static/js/driver/theme-init.js", "/static/js/driver/sync.js", "/static/js/driver/store.js",
                   "/static/js/driver/cards.js", "/static/js/driver/messages.js", "/static/js/i18n/common.js",
                   "/static/js/i18n/driver.js", "/static/js/map.js", "/static/js/config.js"):
        assert needed in files, needed
    assert "/static/js/driver/sw.js" not in files          # the worker is not a file of the page
    # closed under import: every module a listed module imports is listed
    for path in files:
        if path.endswith(".js"):
            text = (pages.STATIC / path.removeprefix("/static/")).read_text(encoding="utf-8")
            for imported in IMPORT.findall(text):
                assert imported in files, f"{path} imports {imported}, which the worker would not keep"


def test_the_version_follows_the_files(tmp_path, monkeypatch):
    static, templates = tmp_path / "static", tmp_path / "templates"
    shutil.copytree(pages.STATIC, static)
    shutil.copytree(pages.TEMPLATES, templates)
    monkeypatch.setattr(pages, "STATIC", static)
    monkeypatch.setattr(pages, "TEMPLATES", templates)
    first = manifest_of(pages.driver_worker_script())
    assert manifest_of(pages.driver_worker_script()) == first
    module = static / "js" / "driver" / "cards.js"
    module.write_text(module.read_text(encoding="utf-8") + "\n// changed\n", encoding="utf-8")
    second = manifest_of(pages.driver_worker_script())
    assert second["version"] != first["version"] and second["files"] == first["files"]
    # a new module imported by the page joins the list
    (static / "js" / "driver" / "extra.js").write_text("export const x = 1;\n", encoding="utf-8")
    main = static / "js" / "driver.js"
    main.write_text('import { x } from "/static/js/driver/extra.js";\n' + main.read_text(encoding="utf-8"),
                    encoding="utf-8")
    third = manifest_of(pages.driver_worker_script())
    assert "/static/js/driver/extra.js" in third["files"] and third["version"] != second["version"]


@pytest.mark.parametrize("page", ["rider.html", "ops.html"])
def test_other_pages_are_not_in_the_workers_scope(api, page):
    # the worker is registered for /driver only: the rider and operator pages never load it
    assert "driver-sw.js" not in (pages.TEMPLATES / page).read_text(encoding="utf-8")
    assert "serviceWorker" not in (pages.STATIC / "js" / page.replace(".html", ".js")).read_text(encoding="utf-8")
