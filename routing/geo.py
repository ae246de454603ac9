"""Small geodesy helpers: local metric projection and great-circle distance (metres)."""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_M = 6_371_008.8


def local_projection(lon0: float, lat0: float):
    """Return ``project(lon, lat) -> (x_m, y_m)``: equirectangular metres around (lon0, lat0).

    Accurate to well under 1 % over a county (< 150 km across), which is all snapping and
    edge splitting need; it avoids a dependency on a projection library at run time.
    """
    scale_x = np.deg2rad(1.0) * EARTH_RADIUS_M * np.cos(np.deg2rad(lat0))
    scale_y = np.deg2rad(1.0) * EARTH_RADIUS_M

    def project(lon, lat):
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        return (lon - lon0) * scale_x, (lat - lat0) * scale_y

    return project


def haversine_m(lon1, lat1, lon2, lat2):
    """Great-circle distance in metres (vectorised)."""
    lon1, lat1, lon2, lat2 = (np.deg2rad(np.asarray(v, dtype=np.float64)) for v in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
