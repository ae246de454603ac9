// What the driver page keeps on the phone (IndexedDB "ride_pool_driver"), so that it works in dead
// zones and after the page was closed:
//
// * "outbox": every report the driver tapped (arrived, boarded, no-show, dropped off, shift
//   start/end, break start/end) until the server confirmed it: {seq (order of the taps), id (the
//   report id, sent as Idempotency-Key), user_id, shift_id, report, booking_id, step_kind,
//   reported_at (the tap time, ISO 8601 with offset), state ("waiting" | "refused"), error,
//   attempts, last_attempt};
// * "kv": the last things the server said, per account: the account ("session"), the shifts,
//   the route (with when it was fetched) and the reports confirmed lately.
//
// When IndexedDB cannot be used (private mode of some browsers) everything is kept in memory for
// as long as the page is open, and the page says so.

const DB_NAME = "ride_pool_driver";
const DB_VERSION = 1;

let dbPromise = null;
let memory = null;          // {outbox: Map, kv: Map, seq} when IndexedDB is not available

function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      if (typeof indexedDB === "undefined") { reject(new Error("no IndexedDB")); return; }
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
        if (!db.objectStoreNames.contains("kv")) db.createObjectStore("kv", { keyPath: "key" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error("IndexedDB blocked"));
    }).catch((err) => {
      console.warn("driver page: IndexedDB not available, keeping reports in memory only", err);
      memory = { outbox: new Map(), kv: new Map(), seq: 0 };
      return null;
    });
  }
  return dbPromise;
}

/** Whether the reports survive closing the page (false: IndexedDB is not available). */
export async function persistent() {
  return (await openDb()) !== null;
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function withStore(name, mode, fn) {
  const db = await openDb();
  if (!db) return fn(null);
  const tx = db.transaction(name, mode);
  const result = await fn(tx.objectStore(name));
  await new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
  });
  return result;
}

// ------------------------------------------------------------------ outbox

/** Add a report; returns it with its seq. */
export async function addReport(report) {
  const record = { state: "waiting", attempts: 0, last_attempt: null, error: null, ...report };
  return withStore("outbox", "readwrite", async (store) => {
    if (!store) {
      record.seq = ++memory.seq;
      memory.outbox.set(record.seq, record);
      return record;
    }
    record.seq = await done(store.add(record));
    return record;
  });
}

/** The reports of the account userId (all accounts when null), oldest first. */
export async function reports(userId = null) {
  const all = await withStore("outbox", "readonly", async (store) => {
    if (!store) return [...memory.outbox.values()].map((r) => ({ ...r }));
    return done(store.getAll());
  });
  return all.filter((r) => userId === null || r.user_id === userId).sort((a, b) => a.seq - b.seq);
}

export async function updateReport(record) {
  return withStore("outbox", "readwrite", async (store) => {
    if (!store) { if (memory.outbox.has(record.seq)) memory.outbox.set(record.seq, { ...record }); return; }
    // only a report still there is updated (another tab may have confirmed it meanwhile)
    const current = await done(store.get(record.seq));
    if (current) await done(store.put(record));
  });
}

export async function removeReport(seq) {
  return withStore("outbox", "readwrite", async (store) => {
    if (!store) { memory.outbox.delete(seq); return; }
    await done(store.delete(seq));
  });
}

// ------------------------------------------------------------------ key/value

export async function getValue(key) {
  return withStore("kv", "readonly", async (store) => {
    if (!store) return memory.kv.has(key) ? structuredClone(memory.kv.get(key)) : null;
    const row = await done(store.get(key));
    return row ? row.value : null;
  });
}

export async function setValue(key, value) {
  return withStore("kv", "readwrite", async (store) => {
    if (!store) { memory.kv.set(key, structuredClone(value)); return; }
    await done(store.put({ key, value }));
  });
}

export async function deleteValue(key) {
  return withStore("kv", "readwrite", async (store) => {
    if (!store) { memory.kv.delete(key); return; }
    await done(store.delete(key));
  });
}
