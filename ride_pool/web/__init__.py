"""The web pages: rider (``/``), driver (``/driver``) and operator dashboard (``/ops``).

Plain HTML, CSS and JavaScript modules served by the API process itself (no build step, no CDN,
nothing fetched from elsewhere); see :func:`ride_pool.web.pages.install`.
"""
