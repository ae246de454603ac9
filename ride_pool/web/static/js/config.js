// GET /api/v1/config (map tiles, time zone, booking lead time), fetched once per page and shared by
// everything that needs it (the map and the rider page's lead-time hint); {} when it fails.

let configPromise = null;

export function loadConfig() {
  if (!configPromise) {
    configPromise = fetch("/api/v1/config", { headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : {})).catch(() => ({}));
  }
  return configPromise;
}
