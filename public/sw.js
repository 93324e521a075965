// Tend's service worker (scope "/"): the app launches with no network after one online visit.
//
// - Precaches exactly the files of one build. `cargo xtask build` replaces the BUILD value below
//   with the build's file list and a version (a hash of those files), so every build is a new worker
//   and a new cache; activate deletes the caches of older builds.
// - Navigations (any route of the single-page app) get the build's index.html from the cache, so
//   the page always matches the cached hashed files; a new build arrives as a waiting worker and
//   the app asks the user before switching (see src/pwa.rs).
// - Never touches /api (sync), WebSockets (not seen by workers), other origins or non-GET requests:
//   relay responses are never cached.
// - Does not skipWaiting on install: it waits until the page posts {type: 'SKIP_WAITING'}.

const BUILD = /*TEND_BUILD*/{ "version": "unbuilt", "precache": [] }/*END_TEND_BUILD*/;
const PREFIX = 'tend-app-';
const CACHE = `${PREFIX}${BUILD.version}`;
const INDEX = '/index.html';
const PRECACHED = new Set(BUILD.precache);

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // `reload` skips the HTTP cache, so a file is never taken from an older build's response.
    await cache.addAll(BUILD.precache.map((url) => new Request(url, { cache: 'reload' })));
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE).map((n) => caches.delete(n)));
    // Take control of pages opened before the first worker existed, so the first visit already
    // works offline (the page reloads on controllerchange only after the user chose to update).
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'SKIP_WAITING') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === '/api' || url.pathname.startsWith('/api/')) return;
  if (request.mode === 'navigate') {
    event.respondWith(fromCache(INDEX, request));
  } else if (PRECACHED.has(url.pathname)) {
    event.respondWith(fromCache(url.pathname, request));
  }
  // Anything else goes to the network untouched.
});

/** The cached copy of `path` from this build's cache; the network if it is missing. */
async function fromCache(path, request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(path);
  return hit || fetch(request);
}
