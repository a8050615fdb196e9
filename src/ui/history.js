// The page's run history in IndexedDB (database "dml-lab", store "runs"): finished runs as
// their JSON text (serde_json of the Rust RunRecord; earlier versions stored structured
// objects, which still load), keyed by an auto-increment id. Called from src/ui/history.rs; nothing here leaves the browser.
const DB = 'dml-lab';
const STORE = 'runs';

function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

let opened = null;
function db() {
  if (!opened) {
    if (typeof indexedDB === 'undefined') return Promise.reject(new Error('this browser has no IndexedDB'));
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => r.result.createObjectStore(STORE, { keyPath: 'id', autoIncrement: true });
    opened = request(r);
    opened.catch(() => { opened = null; });
  }
  return opened;
}

async function store(mode) {
  return (await db()).transaction(STORE, mode).objectStore(STORE);
}

/** Saves a run; resolves to its id. */
export async function historyAdd(record) {
  return request((await store('readwrite')).add({ record }));
}

/** Every saved run, oldest first: [{ id, record }]. */
export async function historyAll() {
  return request((await store('readonly')).getAll());
}

export async function historyDelete(id) {
  await request((await store('readwrite')).delete(id));
}

export async function historyClear() {
  await request((await store('readwrite')).clear());
}
