// A small map on a <canvas>: the service's own road network (GET /api/v1/network.geojson, roads
// styled by road_class), its stops (GET /api/v1/stops), vehicles, a route and marker layers;
// pan and zoom by mouse, wheel, touch (drag, pinch), keyboard (arrows, + and -) and +/− buttons.
// Optional raster tiles underneath when configured (RIDE_POOL_TILE_URL via GET /api/v1/config,
// or a data-tile-url attribute on the element; "{z}/{x}/{y}" in the URL). Nothing is fetched
// from anywhere else.
//
//   import { createMap } from "/static/js/map.js";
//   const map = createMap(document.getElementById("map"), {stops: true});
//   await map.ready;                       // network drawn; element.dataset.rendered === "true"
//   map.setVehicles([{id: 3, label: "MEI-RB 3", lat, lon}]);
//   map.setRoute([[lat, lon], ...]) or map.setRoute([[[lat, lon], ...], [[lat, lon], ...]]);
//   map.setMarkers("trip", [{lat, lon, label: "A", kind: "origin"}]);   // kinds below
//   map.onClick((lat, lon, hit) => ...);   // hit.stop: the stop tapped (within ~16 px), if any
//   map.fitTo([[lat, lon], {lat, lon}, ...]);
//
// Marker kinds: origin (green), destination (red), pickup (blue), dropoff (purple), me (dark),
// vehicle (orange), warning (amber); anything else is grey.

import { loadConfig } from "/static/js/config.js";
import { onLanguageChange, t } from "/static/js/i18n.js";

const TILE = 256;
const MIN_ZOOM = 7;
const MAX_ZOOM = 19;

// road classes drawn from the least to the most important; [width px at zoom 13, colour, casing, min zoom]
const ROAD_STYLE = {
  living_street: [1.0, "#ffffff", "#b9b9b9", 13],
  residential: [1.2, "#ffffff", "#b0b0b0", 12],
  road: [1.2, "#ffffff", "#b0b0b0", 12],
  busway: [1.2, "#dfe9f7", "#9bb1cf", 12],
  unclassified: [1.5, "#ffffff", "#a4a4a4", 10],
  tertiary_link: [1.5, "#ffffff", "#9a9a9a", 11],
  tertiary: [2.0, "#fffbe6", "#9a9a9a", 9],
  secondary_link: [1.8, "#fbe7a1", "#b89a4a", 10],
  secondary: [2.6, "#fbe7a1", "#b89a4a", 0],
  primary_link: [2.0, "#fcd6a4", "#c08a45", 10],
  primary: [3.0, "#fcd6a4", "#c08a45", 0],
  trunk_link: [2.2, "#f9b29c", "#c0694f", 10],
  trunk: [3.4, "#f9b29c", "#c0694f", 0],
  motorway_link: [2.4, "#e892a2", "#b3545f", 10],
  motorway: [3.8, "#e892a2", "#b3545f", 0],
};
const CLASS_ORDER = Object.keys(ROAD_STYLE);

const MARKER_COLOURS = {
  origin: "#1b7a3a", destination: "#b3261e", pickup: "#0b5cad", dropoff: "#6a3fa0",
  me: "#1a1f24", vehicle: "#d35400", warning: "#b27b00",
};

// Web Mercator in [0, 1] world units
function projX(lon) { return (lon + 180) / 360; }
function projY(lat) {
  const s = Math.sin((Math.max(-85, Math.min(85, lat)) * Math.PI) / 180);
  return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
}
function unprojLon(x) { return x * 360 - 180; }
function unprojLat(y) { return (Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180) / Math.PI; }

function toLatLon(p) {
  if (Array.isArray(p)) return [Number(p[0]), Number(p[1])];
  if (p && typeof p === "object") return [Number(p.lat), Number(p.lon)];
  return [NaN, NaN];
}

/** Whether list is one polyline ([[lat, lon], ...]) rather than a list of polylines. */
function isSingleLine(list) {
  return list.length > 0 && Array.isArray(list[0]) && typeof list[0][0] === "number";
}

let networkPromise = null;
function loadNetwork() {
  if (!networkPromise) {
    networkPromise = fetch("/api/v1/network.geojson").then((r) => {
      if (!r.ok) throw new Error(`network: HTTP ${r.status}`);
      return r.json();
    }).then(prepareNetwork);
    networkPromise.catch(() => { networkPromise = null; });
  }
  return networkPromise;
}

let placesPromise = null;
/** The names of the settlements for the map (GET /api/v1/places/map: towns, villages, hamlets). */
function loadPlaceNames() {
  if (!placesPromise) {
    placesPromise = fetch("/api/v1/places/map").then((r) => (r.ok ? r.json() : [])).catch(() => []);
  }
  return placesPromise;
}
// settlement kinds: [font, min zoom]
const PLACE_STYLE = {
  city: ["bold 15px system-ui, sans-serif", 7], town: ["bold 14px system-ui, sans-serif", 9],
  suburb: ["600 12px system-ui, sans-serif", 12], village: ["600 13px system-ui, sans-serif", 10.5],
  hamlet: ["12px system-ui, sans-serif", 12.5], isolated_dwelling: ["12px system-ui, sans-serif", 14],
};

let stopsPromise = null;
function loadStops() {
  if (!stopsPromise) {
    stopsPromise = fetch("/api/v1/stops?limit=5000").then((r) => (r.ok ? r.json() : []));
    stopsPromise.catch(() => { stopsPromise = null; });
  }
  return stopsPromise;
}

/** Projected lines per road class: {cls: [Float64Array([x0, y0, x1, y1, ...]), ...]}, and bounds. */
function prepareNetwork(geojson) {
  const byClass = {};
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const f of geojson.features || []) {
    const g = f.geometry;
    if (!g) continue;
    const lines = g.type === "LineString" ? [g.coordinates] : g.type === "MultiLineString" ? g.coordinates : [];
    const cls = ROAD_STYLE[(f.properties || {}).road_class] ? f.properties.road_class : "road";
    for (const line of lines) {
      const arr = new Float64Array(line.length * 2);
      for (let i = 0; i < line.length; i++) {
        const x = projX(line[i][0]), y = projY(line[i][1]);
        arr[2 * i] = x; arr[2 * i + 1] = y;
        if (x < minX) minX = x; if (x > maxX) maxX = x;
        if (y < minY) minY = y; if (y > maxY) maxY = y;
      }
      (byClass[cls] = byClass[cls] || []).push(arr);
    }
  }
  const props = geojson.properties || {};
  return { byClass, bounds: [minX, minY, maxX, maxY], synthetic: !!props.synthetic, attribution: props.attribution || "" };
}

export function createMap(element, { stops = true, places = true, tileUrl = null, label = null } = {}) {
  element.classList.add("map");
  element.dataset.rendered = "false";
  element.innerHTML = "";
  const canvas = document.createElement("canvas");
  canvas.tabIndex = 0;
  // an interactive map: arrow keys pan, + and - zoom (announced as "Karte"/"map")
  canvas.setAttribute("role", "application");
  canvas.setAttribute("aria-roledescription", t("map.label"));
  canvas.setAttribute("aria-label", label || t("map.label"));
  element.appendChild(canvas);

  const controls = document.createElement("div");
  controls.className = "map-controls";
  const zoomIn = document.createElement("button");
  zoomIn.type = "button"; zoomIn.textContent = "+"; zoomIn.dataset.i18nAriaLabel = "map.zoom_in";
  zoomIn.setAttribute("aria-label", t("map.zoom_in"));
  const zoomOut = document.createElement("button");
  zoomOut.type = "button"; zoomOut.textContent = "−"; zoomOut.dataset.i18nAriaLabel = "map.zoom_out";
  zoomOut.setAttribute("aria-label", t("map.zoom_out"));
  controls.append(zoomIn, zoomOut);
  element.appendChild(controls);

  const status = document.createElement("div");
  status.className = "map-status";
  status.setAttribute("aria-live", "polite");
  status.dataset.key = "map.loading";
  status.textContent = t("map.loading");
  element.appendChild(status);
  const attribution = document.createElement("div");
  attribution.className = "map-attribution";
  attribution.hidden = true;
  element.appendChild(attribution);

  const ctx = canvas.getContext("2d");
  const state = {
    cx: 0.5, cy: 0.5, zoom: 10, width: 0, height: 0, dpr: 1,
    network: null, stops: [], vehicles: [], route: [], layers: new Map(), places: [],
    tileUrl: tileUrl || element.dataset.tileUrl || null, tiles: new Map(),
    clickHandlers: [], fitted: false, frame: 0, destroyed: false,
  };

  // ------------------------------------------------------------ geometry
  const scale = () => TILE * Math.pow(2, state.zoom);
  function toScreen(x, y) {
    const s = scale();
    return [(x - state.cx) * s + state.width / 2, (y - state.cy) * s + state.height / 2];
  }
  function toWorld(px, py) {
    const s = scale();
    return [state.cx + (px - state.width / 2) / s, state.cy + (py - state.height / 2) / s];
  }
  function latLonAt(px, py) {
    const [x, y] = toWorld(px, py);
    return [unprojLat(y), unprojLon(x)];
  }
  function clampZoom(z) { return Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, z)); }
  function zoomAround(px, py, newZoom) {
    newZoom = clampZoom(newZoom);
    const [wx, wy] = toWorld(px, py);
    state.zoom = newZoom;
    const s = scale();
    state.cx = wx - (px - state.width / 2) / s;
    state.cy = wy - (py - state.height / 2) / s;
    redraw();
  }

  function resize() {
    const rect = element.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    state.width = Math.max(1, rect.width);
    state.height = Math.max(1, rect.height);
    state.dpr = dpr;
    canvas.width = Math.round(state.width * dpr);
    canvas.height = Math.round(state.height * dpr);
    if (!state.fitted && state.network) fitBounds(state.network.bounds);
    redraw(true);
  }

  /** The margins that keep what is fitted clear of the map's own controls: the zoom buttons on
   *  the right, the status note at the top, the credits at the bottom, and a pin's height above
   *  its point. */
  function margins(padding) {
    const controlsWidth = controls.offsetWidth || 44;
    return {
      left: padding, right: padding + controlsWidth + 8,
      top: padding + 36, bottom: padding + 14,
    };
  }

  function fitBounds([minX, minY, maxX, maxY], padding = 24, maxZoom = 16) {
    if (!(maxX >= minX) || !(maxY >= minY) || state.width < 2) return;
    const m = margins(padding);
    const w = Math.max(maxX - minX, 1e-9), h = Math.max(maxY - minY, 1e-9);
    const zx = Math.log2(Math.max(40, state.width - m.left - m.right) / (w * TILE));
    const zy = Math.log2(Math.max(40, state.height - m.top - m.bottom) / (h * TILE));
    state.zoom = clampZoom(Math.min(zx, zy, maxZoom));
    // the centre shifted so that the box sits in the free part of the map
    const scale = TILE * 2 ** state.zoom;
    state.cx = (minX + maxX) / 2 + (m.right - m.left) / 2 / scale;
    state.cy = (minY + maxY) / 2 - (m.top - m.bottom) / 2 / scale;
    state.fitted = true;
  }

  // ------------------------------------------------------------ drawing
  function redraw(now = false) {
    if (state.destroyed) return;
    if (now) { cancelAnimationFrame(state.frame); state.frame = 0; draw(); return; }
    if (!state.frame) state.frame = requestAnimationFrame(() => { state.frame = 0; draw(); });
  }

  function drawTiles() {
    if (!state.tileUrl) return;
    const z = Math.max(0, Math.min(19, Math.round(state.zoom)));
    const n = Math.pow(2, z);
    const [x0, y0] = toWorld(0, 0), [x1, y1] = toWorld(state.width, state.height);
    const size = scale() / n;
    for (let tx = Math.floor(x0 * n); tx <= Math.floor(x1 * n); tx++) {
      for (let ty = Math.floor(y0 * n); ty <= Math.floor(y1 * n); ty++) {
        if (ty < 0 || ty >= n) continue;
        const wx = ((tx % n) + n) % n;
        const key = `${z}/${wx}/${ty}`;
        let img = state.tiles.get(key);
        if (!img) {
          img = new Image();
          img.onload = () => redraw();
          img.src = state.tileUrl.replace("{z}", z).replace("{x}", wx).replace("{y}", ty);
          state.tiles.set(key, img);
          if (state.tiles.size > 400) state.tiles.delete(state.tiles.keys().next().value);
        }
        if (img.complete && img.naturalWidth) {
          const [sx, sy] = toScreen(tx / n, ty / n);
          ctx.drawImage(img, Math.floor(sx), Math.floor(sy), Math.ceil(size) + 1, Math.ceil(size) + 1);
        }
      }
    }
  }

  function pathLines(lines, minX, minY, maxX, maxY) {
    const s = scale(), ox = state.width / 2 - state.cx * s, oy = state.height / 2 - state.cy * s;
    for (const arr of lines) {
      // skip lines whose first point is far away (lines are short: edges are split at 300 m)
      const fx = arr[0], fy = arr[1];
      if (fx < minX || fx > maxX || fy < minY || fy > maxY) continue;
      ctx.moveTo(arr[0] * s + ox, arr[1] * s + oy);
      for (let i = 2; i < arr.length; i += 2) ctx.lineTo(arr[i] * s + ox, arr[i + 1] * s + oy);
    }
  }

  function drawNetwork() {
    const net = state.network;
    if (!net) return;
    const [x0, y0] = toWorld(-200, -200), [x1, y1] = toWorld(state.width + 200, state.height + 200);
    const grow = Math.pow(2, (state.zoom - 13) * 0.5);
    ctx.lineCap = "round"; ctx.lineJoin = "round";
    for (const pass of ["casing", "fill"]) {
      for (const cls of CLASS_ORDER) {
        const lines = net.byClass[cls];
        const [w, fill, casing, minZoom] = ROAD_STYLE[cls];
        if (!lines || state.zoom < minZoom) continue;
        const width = Math.max(0.6, Math.min(w * grow, 14));
        ctx.beginPath();
        pathLines(lines, x0, y0, x1, y1);
        if (pass === "casing") { ctx.strokeStyle = casing; ctx.lineWidth = width + 1.6; }
        else { ctx.strokeStyle = fill; ctx.lineWidth = width; }
        ctx.stroke();
      }
    }
  }

  function drawRoute() {
    if (!state.route.length) return;
    ctx.lineCap = "round"; ctx.lineJoin = "round";
    for (const [colour, width] of [["#ffffff", 8], ["#0b5cad", 4.5]]) {
      ctx.beginPath();
      for (const line of state.route) {
        line.forEach(([x, y], i) => {
          const [sx, sy] = toScreen(x, y);
          if (i === 0) ctx.moveTo(sx, sy); else ctx.lineTo(sx, sy);
        });
      }
      ctx.strokeStyle = colour; ctx.lineWidth = width; ctx.stroke();
    }
  }

  function drawStops() {
    if (!state.stops.length) return;
    const r = state.zoom >= 13 ? 5 : state.zoom >= 11 ? 3.5 : 2.5;
    ctx.lineWidth = 2;
    for (const s of state.stops) {
      const [sx, sy] = toScreen(s.x, s.y);
      if (sx < -20 || sy < -20 || sx > state.width + 20 || sy > state.height + 20) continue;
      ctx.beginPath();
      ctx.arc(sx, sy, r, 0, 2 * Math.PI);
      ctx.fillStyle = "#ffffff"; ctx.fill();
      ctx.strokeStyle = "#0b5cad"; ctx.stroke();
    }
    if (state.zoom >= 14) {
      ctx.font = "12px system-ui, sans-serif";
      ctx.textBaseline = "middle";
      for (const s of state.stops) {
        const [sx, sy] = toScreen(s.x, s.y);
        if (sx < -100 || sy < -20 || sx > state.width + 20 || sy > state.height + 20) continue;
        drawLabel(s.name, sx + 8, sy, "#0a3d73");
      }
    }
  }

  /** Settlement names, the more important first; a name that would overlap one already drawn
   *  (or the zoom buttons) is left out. */
  function drawPlaces() {
    if (!state.places.length) return;
    const taken = [];
    const cw = (controls.offsetWidth || 44) + 16, ch = (controls.offsetHeight || 96) + 12;
    taken.push([state.width - cw, 0, state.width, ch]);
    ctx.textBaseline = "middle"; ctx.textAlign = "center";
    for (const p of state.places) {
      const style = PLACE_STYLE[p.type] || PLACE_STYLE.hamlet;
      if (state.zoom < style[1]) continue;
      const [sx, y] = toScreen(p.x, p.y);
      // close in, the name goes above the village centre (where a stop and its name often are)
      const sy = state.zoom >= 13 ? y - 18 : y;
      if (sx < -80 || sy < -20 || sx > state.width + 80 || sy > state.height + 20) continue;
      ctx.font = style[0];
      const w = ctx.measureText(p.name).width + 6, h = 18;
      const box = [sx - w / 2, sy - h / 2, sx + w / 2, sy + h / 2];
      if (taken.some((b) => box[0] < b[2] && box[2] > b[0] && box[1] < b[3] && box[3] > b[1])) continue;
      taken.push(box);
      ctx.lineWidth = 4; ctx.strokeStyle = "rgba(255,255,255,.92)";
      ctx.strokeText(p.name, sx, sy);
      ctx.fillStyle = p.type === "city" || p.type === "town" ? "#1a1f24" : "#3d454d";
      ctx.fillText(p.name, sx, sy);
    }
    ctx.textAlign = "start";
  }

  function drawLabel(text, x, y, colour) {
    ctx.lineWidth = 3; ctx.strokeStyle = "rgba(255,255,255,.9)";
    ctx.strokeText(text, x, y);
    ctx.fillStyle = colour; ctx.fillText(text, x, y);
  }

  function drawPin(sx, sy, colour, text) {
    ctx.beginPath();
    ctx.moveTo(sx, sy);
    ctx.bezierCurveTo(sx - 4, sy - 9, sx - 12, sy - 14, sx - 12, sy - 23);
    ctx.arc(sx, sy - 23, 12, Math.PI, 0);
    ctx.bezierCurveTo(sx + 12, sy - 14, sx + 4, sy - 9, sx, sy);
    ctx.closePath();
    ctx.fillStyle = colour; ctx.fill();
    ctx.lineWidth = 2; ctx.strokeStyle = "#ffffff"; ctx.stroke();
    if (text) {
      ctx.fillStyle = "#ffffff"; ctx.font = "bold 12px system-ui, sans-serif";
      ctx.textAlign = "center"; ctx.textBaseline = "middle";
      ctx.fillText(String(text).slice(0, 3), sx, sy - 23);
      ctx.textAlign = "start";
    }
  }

  function drawMarkers() {
    const boxes = [];
    for (const list of state.layers.values()) {
      for (const m of list) {
        const [sx, sy] = toScreen(m.x, m.y);
        boxes.push([Math.round(sx - 12), Math.round(sy - 35), Math.round(sx + 12), Math.round(sy)]);
        const colour = MARKER_COLOURS[m.kind] || "#555f69";
        const short = m.short !== undefined ? m.short : (m.label && m.label.length <= 3 ? m.label : "");
        drawPin(sx, sy, colour, short);
        if (m.label && m.label.length > 3 && state.zoom >= 11) {
          ctx.font = "bold 13px system-ui, sans-serif"; ctx.textBaseline = "middle";
          const width = ctx.measureText(m.label).width;
          drawLabel(m.label, sx + 14 + width < state.width - 4 ? sx + 14 : sx - 14 - width, sy - 23, colour);
        }
      }
    }
    // where the pins are, in CSS pixels of the map ([left, top, right, bottom]; for tests and tools)
    element.dataset.markerBoxes = JSON.stringify(boxes);
  }

  function drawVehicles() {
    // vehicles at (nearly) the same place, e.g. parked at one depot, are stacked downwards so that
    // neither the badges nor the labels overlap; their boxes are in data-vehicle-boxes
    const placed = [];
    const boxes = [];
    for (const v of state.vehicles) {
      let [sx, sy] = toScreen(v.x, v.y);
      while (placed.some(([px, py]) => Math.abs(px - sx) < 90 && Math.abs(py - sy) < 22)) sy += 24;
      placed.push([sx, sy]);
      boxes.push([Math.round(sx - 13), Math.round(sy - 10), Math.round(sx + 13), Math.round(sy + 10)]);
      ctx.beginPath();
      const w = 26, h = 20;
      ctx.roundRect ? ctx.roundRect(sx - w / 2, sy - h / 2, w, h, 5) : ctx.rect(sx - w / 2, sy - h / 2, w, h);
      ctx.fillStyle = "#d35400"; ctx.fill();
      ctx.lineWidth = 2; ctx.strokeStyle = "#ffffff"; ctx.stroke();
      ctx.fillStyle = "#ffffff"; ctx.font = "bold 11px system-ui, sans-serif";
      ctx.textAlign = "center"; ctx.textBaseline = "middle";
      ctx.fillText("Bus", sx, sy + 0.5);
      ctx.textAlign = "start";
      if (v.label) {
        ctx.font = "bold 12px system-ui, sans-serif";
        const width = ctx.measureText(v.label).width;
        const right = sx + w / 2 + 4 + width < state.width - 4;
        drawLabel(v.label, right ? sx + w / 2 + 4 : sx - w / 2 - 4 - width, sy, "#8a3600");
      }
    }
    element.dataset.vehicleBoxes = JSON.stringify(boxes);
  }

  function draw() {
    const dpr = state.dpr;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#eef1ea";
    ctx.fillRect(0, 0, state.width, state.height);
    drawTiles();
    drawNetwork();
    drawRoute();
    if (places) drawPlaces();
    if (stops) drawStops();
    drawMarkers();
    drawVehicles();
  }

  // ------------------------------------------------------------ interaction
  const pointers = new Map();
  let drag = null;      // {x, y, moved, pinch: {dist, zoom, mx, my}}

  function localPoint(e) {
    const rect = canvas.getBoundingClientRect();
    return [e.clientX - rect.left, e.clientY - rect.top];
  }

  canvas.addEventListener("pointerdown", (e) => {
    canvas.setPointerCapture(e.pointerId);
    pointers.set(e.pointerId, localPoint(e));
    if (pointers.size === 1) {
      const [x, y] = localPoint(e);
      drag = { x, y, startX: x, startY: y, moved: false, pinch: null };
    } else if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      drag = drag || { moved: true };
      drag.moved = true;
      drag.pinch = { dist: Math.hypot(a[0] - b[0], a[1] - b[1]) || 1, zoom: state.zoom };
    }
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!pointers.has(e.pointerId) || !drag) return;
    pointers.set(e.pointerId, localPoint(e));
    if (pointers.size >= 2 && drag.pinch) {
      const [a, b] = [...pointers.values()];
      const dist = Math.hypot(a[0] - b[0], a[1] - b[1]) || 1;
      const mx = (a[0] + b[0]) / 2, my = (a[1] + b[1]) / 2;
      zoomAround(mx, my, drag.pinch.zoom + Math.log2(dist / drag.pinch.dist));
      return;
    }
    const [x, y] = localPoint(e);
    if (!drag.moved && Math.hypot(x - drag.startX, y - drag.startY) > 6) {
      drag.moved = true;
      canvas.classList.add("dragging");
    }
    if (drag.moved) {
      const s = scale();
      state.cx -= (x - drag.x) / s;
      state.cy -= (y - drag.y) / s;
      redraw();
    }
    drag.x = x; drag.y = y;
  });
  function endPointer(e) {
    if (!pointers.has(e.pointerId)) return;
    pointers.delete(e.pointerId);
    if (pointers.size === 1 && drag) {       // one finger left after a pinch: keep panning from it
      const [p] = [...pointers.values()];
      drag.x = p[0]; drag.y = p[1]; drag.pinch = null;
      return;
    }
    if (pointers.size === 0 && drag) {
      const wasClick = !drag.moved && e.type === "pointerup";
      canvas.classList.remove("dragging");
      drag = null;
      if (wasClick) click(...localPoint(e));
    }
  }
  canvas.addEventListener("pointerup", endPointer);
  canvas.addEventListener("pointercancel", endPointer);
  canvas.addEventListener("wheel", (e) => {
    e.preventDefault();
    const [x, y] = localPoint(e);
    const delta = e.deltaMode === 1 ? e.deltaY * 33 : e.deltaY;
    zoomAround(x, y, state.zoom - delta / 300);
  }, { passive: false });
  canvas.addEventListener("dblclick", (e) => {
    const [x, y] = localPoint(e);
    zoomAround(x, y, state.zoom + 1);
  });
  canvas.addEventListener("keydown", (e) => {
    const step = 60 / scale();
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[e.key]) {
      state.cx += moves[e.key][0]; state.cy += moves[e.key][1]; redraw(); e.preventDefault();
    } else if (e.key === "+" || e.key === "=") {
      zoomAround(state.width / 2, state.height / 2, state.zoom + 1); e.preventDefault();
    } else if (e.key === "-") {
      zoomAround(state.width / 2, state.height / 2, state.zoom - 1); e.preventDefault();
    }
  });
  zoomIn.addEventListener("click", () => zoomAround(state.width / 2, state.height / 2, state.zoom + 1));
  zoomOut.addEventListener("click", () => zoomAround(state.width / 2, state.height / 2, state.zoom - 1));

  function click(px, py) {
    const [lat, lon] = latLonAt(px, py);
    let stop = null, best = 16;
    for (const s of state.stops) {
      const [sx, sy] = toScreen(s.x, s.y);
      const d = Math.hypot(sx - px, sy - py);
      if (d < best) { best = d; stop = s.stop; }
    }
    for (const fn of state.clickHandlers) fn(lat, lon, { stop });
  }

  const observer = typeof ResizeObserver !== "undefined" ? new ResizeObserver(() => resize()) : null;
  if (observer) observer.observe(element); else window.addEventListener("resize", resize);
  resize();

  // ------------------------------------------------------------ loading
  const ready = (async () => {
    const config = state.tileUrl ? {} : await loadConfig();
    if (!state.tileUrl && config.tile_url) state.tileUrl = config.tile_url;
    const [network, stopList] = await Promise.all([loadNetwork(), stops ? loadStops() : Promise.resolve([])]);
    if (state.destroyed) return api;
    state.network = network;
    setStopsInternal(stopList);
    if (places) {
      loadPlaceNames().then((list) => {
        const order = Object.keys(PLACE_STYLE);
        state.places = (list || []).filter((p) => p && p.name && Number.isFinite(+p.lat) && Number.isFinite(+p.lon))
          .map((p) => ({ name: p.name, type: p.type || "village", x: projX(+p.lon), y: projY(+p.lat) }))
          .sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
        element.dataset.places = String(state.places.length);
        redraw();
      });
    }
    const credits = [config.tile_attribution, network.attribution].filter(Boolean).join(" · ");
    if (credits) {
      attribution.textContent = credits; attribution.title = credits; attribution.tabIndex = 0;
      attribution.hidden = false;
    }
    setStatus(network.synthetic ? "map.synthetic" : "");
    if (!state.fitted) fitBounds(network.bounds);
    draw();
    element.dataset.rendered = "true";
    element.dispatchEvent(new CustomEvent("map-rendered"));
    return api;
  })();
  ready.catch((err) => {
    console.error(err);
    setStatus("map.failed");
    element.dataset.rendered = "error";
  });

  // ------------------------------------------------------------ texts (follow the language switch)
  /** The status note by translation key ("" for none): "Karte wird geladen …", "Straßennetz:
   *  synthetisch (Demo)", "Die Karte konnte nicht geladen werden." */
  function setStatus(key) {
    status.dataset.key = key;
    status.textContent = key ? t(key) : "";
  }
  onLanguageChange(() => {
    if (state.destroyed) return;
    setStatus(status.dataset.key || "");
    canvas.setAttribute("aria-roledescription", t("map.label"));
    if (!label) canvas.setAttribute("aria-label", t("map.label"));
    zoomIn.setAttribute("aria-label", t("map.zoom_in"));
    zoomOut.setAttribute("aria-label", t("map.zoom_out"));
  });

  function setStopsInternal(list) {
    state.stops = (list || []).filter((s) => Number.isFinite(+s.lat) && Number.isFinite(+s.lon))
      .map((s) => ({ x: projX(+s.lon), y: projY(+s.lat), name: s.name || "", stop: s }));
  }

  // ------------------------------------------------------------ the map's API
  const api = {
    element,
    canvas,
    ready,
    setStops(list) { setStopsInternal(list); redraw(); },
    setVehicles(list) {
      state.vehicles = (list || []).filter((v) => v && Number.isFinite(+v.lat) && Number.isFinite(+v.lon) && v.lat !== null)
        .map((v) => ({ id: v.id, label: v.label || "", x: projX(+v.lon), y: projY(+v.lat) }));
      redraw();
    },
    setRoute(list) {
      list = list || [];
      const lines = isSingleLine(list) ? [list] : list;
      state.route = lines.filter((l) => l && l.length).map((l) => l.map((p) => {
        const [lat, lon] = toLatLon(p);
        return [projX(lon), projY(lat)];
      }));
      redraw();
    },
    setMarkers(layerName, list) {
      const items = (list || []).filter((m) => m && Number.isFinite(+m.lat) && Number.isFinite(+m.lon))
        .map((m) => ({ ...m, x: projX(+m.lon), y: projY(+m.lat) }));
      if (items.length) state.layers.set(layerName, items); else state.layers.delete(layerName);
      redraw();
    },
    onClick(fn) { state.clickHandlers.push(fn); },
    /** The map's accessible name (e.g. again after a language change). */
    setLabel(text) { canvas.setAttribute("aria-label", text || t("map.label")); },
    /** Show all points (a list of [lat, lon] or {lat, lon}); one point: centred at street level. */
    fitTo(points, { maxZoom = 15, padding = 40 } = {}) {
      const ps = (points || []).map(toLatLon).filter(([a, o]) => Number.isFinite(a) && Number.isFinite(o));
      if (!ps.length) return;
      const xs = ps.map(([, o]) => projX(o)), ys = ps.map(([a]) => projY(a));
      fitBounds([Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)], padding, maxZoom);
      redraw();
    },
    /** Show the whole network. */
    fitNetwork() { if (state.network) { fitBounds(state.network.bounds); redraw(); } },
    get zoom() { return state.zoom; },
    /** [lat, lon] of the centre. */
    get center() { return [unprojLat(state.cy), unprojLon(state.cx)]; },
    redraw() { redraw(); },
    destroy() {
      state.destroyed = true;
      if (observer) observer.disconnect();
      element.innerHTML = "";
    },
  };
  return api;
}
