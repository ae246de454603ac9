// The driver page's service worker: the page works in dead zones (issue 14).
//
// Served by the server at /driver-sw.js (ride_pool/web/pages.py), which fills MANIFEST below with
// the page, every script module and style sheet the page loads (found from driver.html and the
// modules' imports) and a version made from their contents; registered by driver.js with the
// scope /driver. Plain JavaScript, no library, no build step.
//
// What it keeps (Cache Storage, one cache per version; older caches are deleted on activation):
// * the page and its files (MANIFEST.files): from the network while it answers within a few
//   seconds (a new release is picked up at once), else from the cache;
// * the map data (road network, stops, the page configuration): from the cache at once when it
//   is there and refreshed in the background, else from the network;
// * nothing else: the driver's route and the waiting reports are kept by the page itself in
//   IndexedDB (driver/store.js), per account; reports (POST) and other API calls pass through
//   untouched, so their answers are never cached and never made up.

/* global self, caches, fetch, URL, Response, Promise */

const MANIFEST = /*MANIFEST*/ { version: "dev", files: ["/driver"] };

const PREFIX = "ride_pool-driver-";
const CACHE = PREFIX + MANIFEST.version;
/** the map's data: stale-while-revalidate (large, rarely changes, needed offline) */
const DATA = ["/api/v1/network.geojson", "/api/v1/stops?limit=5000", "/api/v1/config"];
/** how long the network may take before the cached copy is used */
const NETWORK_WAIT_MS = 3500;

const FILES = new Set(MANIFEST.files);

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // the page and its modules must all be there, or the worker does not take over
    await cache.addAll(MANIFEST.files.map((path) => new Request(path, { cache: "no-cache" })));
    // the map data is best effort: without it the map says it cannot load, the route still shows
    await Promise.all(DATA.map(async (path) => {
      try {
        const response = await fetch(path, { cache: "no-cache" });
        if (response.ok) await cache.put(path, response);
      } catch (err) { /* offline while installing: fetched when next online */ }
    }));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;                 // reports go to the server, never to a cache
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const path = url.pathname + url.search;
  if (request.mode === "navigate" && (url.pathname === "/driver" || url.pathname === "/driver/")) {
    event.respondWith(networkFirst(request, "/driver"));
  } else if (DATA.includes(path)) {
    event.respondWith(cacheFirst(event, request, path));
  } else if (FILES.has(url.pathname) && !url.search) {
    event.respondWith(networkFirst(request, url.pathname));
  }
  // anything else (the route, shifts, the account, event streams) goes to the network as usual
});

/** The network's answer when it comes within NETWORK_WAIT_MS (and is kept), else the cached copy;
 *  without a cached copy the network's answer or failure, however long it takes. */
async function networkFirst(request, key) {
  const cache = await caches.open(CACHE);
  const fromNetwork = fetch(request).then(async (response) => {
    if (response.ok) await cache.put(key, response.clone());
    return response;
  });
  let timer;
  const late = new Promise((resolve) => { timer = setTimeout(() => resolve(null), NETWORK_WAIT_MS); });
  try {
    const first = await Promise.race([fromNetwork, late]);
    if (first) return first;
  } catch (err) {
    /* offline: the cache below */
  } finally {
    clearTimeout(timer);
  }
  const cached = await cache.match(key, { ignoreVary: true });
  if (cached) {
    fromNetwork.catch(() => null);
    return cached;
  }
  return fromNetwork;
}

/** The cached copy at once (refreshed in the background), else the network's answer (kept). */
async function cacheFirst(event, request, key) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(key, { ignoreVary: true });
  const refresh = fetch(request).then(async (response) => {
    if (response.ok) await cache.put(key, response.clone());
    return response;
  });
  if (cached) {
    event.waitUntil(refresh.then(() => undefined, () => undefined));
    return cached;
  }
  return refresh;
}
