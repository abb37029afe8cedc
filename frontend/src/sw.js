/* 掌上办 service worker (vite-plugin-pwa injectManifest).
 *
 * - The app shell is precached; workbox names its caches per revision and removes outdated
 *   ones, so a deploy never mixes versions.
 * - Client-side routes fall back to the cached index.html, so the shell opens offline.
 * - /graphql and every non-GET request go straight to the network: API answers are never
 *   cached here (the app keeps its own copy of opened guides in IndexedDB).
 * - A new version waits until the page asks it to take over (the person agreed).
 */
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching'
import { NavigationRoute, registerRoute } from 'workbox-routing'
import { clientsClaim } from 'workbox-core'

precacheAndRoute(self.__WB_MANIFEST)
cleanupOutdatedCaches()

// Server paths are never client routes: they must reach the network even when navigated to
// (GraphiQL, the dev identity provider's login pages, OIDC discovery, uploaded files, …). Keep in step with
// _NOT_CLIENT_ROUTES in backend/static.py. Paths that name a file are not routes either.
const SERVER_PATHS = [
  /^\/graphql(\/|$|\?)/,
  /^\/healthz/,
  /^\/sw\.js$/,
  /^\/\.well-known\//,
  /^\/auth\//,
  /^\/dev-idp\//,
  /^\/uploads(\/|$|\?)/,
  /^\/assets\//,
  /\/[^/?]+\.[^/]+$/,
]

registerRoute(new NavigationRoute(createHandlerBoundToURL('/index.html'), { denylist: SERVER_PATHS }))

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'SKIP_WAITING') self.skipWaiting()
})

// The first install takes control at once (there is no older version to protect).
clientsClaim()
