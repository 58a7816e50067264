// The service worker: a versioned precache of the app shell (cache-first), and
// Background Sync. The server stamps VERSION with the hash of every shell file,
// so any change installs a new worker; the page then offers "更新".
import { flushMutations } from './js/sync.js';

const VERSION = '__SHELL_VERSION__';
const PREFIX = 'dsr-shell-';
const CACHE = PREFIX + VERSION;
// The server stamps in the URL of every file of server/web.py's shell_files(): this list is
// never written by hand. (Unstamped, the worker fails to install rather than cache nothing.)
const SHELL = __SHELL_FILES__;

/** The app's own page (the back office and other pages of this origin are not). */
const isAppPage = (url) => url.pathname === '/' || url.pathname === '/index.html';

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // cache: 'reload' bypasses the HTTP cache, so the precache is exactly this version's files.
    await cache.addAll(SHELL.map((u) => new Request(u, { cache: 'reload' })));
    // First install: take over at once. An update waits for the user's "立即更新".
    if (!self.registration.active) await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith(PREFIX) && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'skip-waiting') self.skipWaiting();
  if (event.data && event.data.type === 'version') event.source.postMessage({ type: 'version', version: VERSION });
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return; // API: always the network
  // Only the app's own page and shell files: other pages of this origin (the back office) pass through.
  const key = req.mode === 'navigate' ? (isAppPage(url) ? '/' : null) : url.pathname;
  if (!key || !SHELL.includes(key)) return;
  // caches.match (not caches.open) so that a wiped device does not get an empty cache back.
  event.respondWith(caches.match(key, { cacheName: CACHE }).then((hit) => hit || fetch(req)));
});

// Background Sync: with a page of the app open, that page flushes (it can also upload media);
// with none open, the worker sends the queued mutations itself. Other pages of this origin
// (the back office) are windows too, but they would ignore the request.
self.addEventListener('sync', (event) => {
  if (event.tag !== 'outbox') return;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const pages = windows.filter((w) => isAppPage(new URL(w.url)));
    if (pages.length) pages.forEach((p) => p.postMessage({ type: 'flush' }));
    else await flushMutations();
  })());
});
