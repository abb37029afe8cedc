/* 掌上办 service worker (vite-plugin-pwa injectManifest).
 *
 * - The app shell and 首页's chunks are precached (vite.config.js plans which); workbox names
 *   its caches per revision and removes outdated ones, so a deploy never mixes versions.
 * - Every other screen's chunks are cached the first time they are used (cache first: their
 *   names are content hashes), in a cache named after this version; older versions' runtime
 *   caches are deleted when this worker activates. The page also hands over the chunks it
 *   loaded before the worker controlled it (CACHE_URLS), so the screen a first visit landed
 *   on opens offline too.
 * - Client-side routes fall back to the cached index.html, so the shell opens offline.
 * - /graphql and every non-GET request go straight to the network: API answers are never
 *   cached here (the app keeps its own copy of opened guides in IndexedDB).
 * - A new version waits until the page asks it to take over (the person agreed).
 */
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching'
import { NavigationRoute, registerRoute } from 'workbox-routing'
import { CacheFirst } from 'workbox-strategies'
import { clientsClaim } from 'workbox-core'

const PRECACHE = self.__WB_MANIFEST
precacheAndRoute(PRECACHE)
cleanupOutdatedCaches()

// ---------------------------------------------------------------- runtime cache of chunks

const RUNTIME_PREFIX = 'zsb-assets-'
const VERSION = (PRECACHE.find((e) => e.url === 'index.html') || {}).revision || 'dev'
const RUNTIME_CACHE = `${RUNTIME_PREFIX}${VERSION}`
const isAsset = (url) => url.origin === self.location.origin && /^\/assets\/[^/]+\.(js|css)$/.test(url.pathname)

// GET only (registerRoute's default): POST and /graphql never reach a cache.
registerRoute(({ url, request }) => request.method === 'GET' && isAsset(url), new CacheFirst({ cacheName: RUNTIME_CACHE }))

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys().then((names) => Promise.all(names
    .filter((name) => name.startsWith(RUNTIME_PREFIX) && name !== RUNTIME_CACHE)
    .map((name) => caches.delete(name)))))
})

// The chunks the page fetched before this worker controlled it (only our own /assets/ files).
async function cacheLoaded(urls) {
  const cache = await caches.open(RUNTIME_CACHE)
  const wanted = urls.map((u) => new URL(u, self.location.origin)).filter(isAsset)
  await Promise.all(wanted.map(async (url) => {
    if (await caches.match(url.href)) return // precached already, or cached before
    const response = await fetch(url.href).catch(() => null)
    if (response && response.ok) await cache.put(url.href, response)
  }))
}

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
  if (event.data && event.data.type === 'CACHE_URLS' && Array.isArray(event.data.urls)) {
    event.waitUntil(cacheLoaded(event.data.urls.filter((u) => typeof u === 'string').slice(0, 200)))
  }
})

// The first install takes control at once (there is no older version to protect).
clientsClaim()

// ---------------------------------------------------------------- notifications
// docs/NOTIFICATIONS.md. Every push shows a notification, even an empty or unreadable one
// (browsers penalise silent pushes); the inbox has the full list anyway.

const NOTIFICATION_ICON = '/icons/icon-192.png'
const FALLBACK = { title: '掌上办', body: '您有一条新消息', link: '/inbox' }
// 满意 / 不满意 on a rating invitation (or return visit) answer straight from the notification.
const RATINGS = { 'rate-satisfied': 'satisfied', 'rate-unsatisfied': 'unsatisfied' }

// Only paths inside the PWA: a payload never sends the person elsewhere.
function safeLink(link) {
  return typeof link === 'string' && /^\/(?![/\\])/.test(link) ? link : FALLBACK.link
}

function text(value) {
  return typeof value === 'string' ? value.trim() : ''
}

function caseNumberOf(link) {
  const match = /^\/cases\/([^/?#]+)/.exec(link)
  try {
    return match ? decodeURIComponent(match[1]) : null
  } catch {
    return null
  }
}

// The single-use rating token of an invitation (docs/RATINGS.md): kept only on the notification.
function ratingOf(payload) {
  const rating = payload.rating
  if (!rating || typeof rating !== 'object') return null
  const token = text(rating.token)
  return /^rt1_[A-Za-z0-9_-]{16,76}$/.test(token) ? { token, caseNumber: text(rating.caseNumber) || null } : null
}

function readPayload(event) {
  try {
    const payload = event.data ? event.data.json() : null
    return payload && typeof payload === 'object' ? payload : {}
  } catch {
    return {}
  }
}

async function tellWindows(message) {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true })
  windows.forEach((client) => client.postMessage(message))
}

const FALLBACK_OPTIONS = { body: FALLBACK.body, icon: NOTIFICATION_ICON, badge: NOTIFICATION_ICON,
  data: { link: FALLBACK.link, id: null, kind: null, caseNumber: null } }

function notificationOf(payload) {
  const link = safeLink(payload.link)
  const tag = text(payload.tag)
  const options = {
    body: text(payload.body) || (text(payload.title) ? '' : FALLBACK.body),
    icon: NOTIFICATION_ICON,
    badge: NOTIFICATION_ICON,
    data: { link, id: payload.id ?? null, kind: payload.kind ?? null,
      caseNumber: text(payload.caseNumber) || caseNumberOf(link), rating: ratingOf(payload) },
  }
  if (tag) Object.assign(options, { tag, renotify: true })
  if (Array.isArray(payload.actions) && payload.actions.length) {
    options.actions = payload.actions
      .filter((a) => a && text(a.action) && text(a.title))
      .map((a) => ({ action: text(a.action), title: text(a.title) }))
  }
  return { title: text(payload.title) || FALLBACK.title, options }
}

self.addEventListener('push', (event) => {
  const payload = readPayload(event)
  let shown
  try {
    const { title, options } = notificationOf(payload)
    shown = self.registration.showNotification(title, options)
  } catch {
    shown = Promise.reject(new Error('bad payload'))
  }
  shown = shown.catch(() => self.registration.showNotification(FALLBACK.title, FALLBACK_OPTIONS))
  const told = tellWindows({ type: 'NOTIFICATION_PUSHED', id: payload.id ?? null }).catch(() => {})
  event.waitUntil(Promise.all([shown, told]))
})

const THANKS = { satisfied: '感谢您的评价', unsatisfied: '已收到您的评价，承办部门将核实整改，并告知您结果' }

// POST /ratings/quick with the token: the app stays closed. The answer shows as a short
// notification; when it could not be recorded (offline, token used or expired) the
// notification offers the full rating sheet instead.
async function rateFromNotification(data, level) {
  const link = safeLink(data?.link)
  let body = null
  try {
    const response = await fetch('/ratings/quick', {
      method: 'POST', cache: 'no-store', credentials: 'omit',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: data.rating.token, level, caseNumber: data.rating.caseNumber }),
    })
    body = await response.json().catch(() => null)
  } catch {
    body = null
  }
  const ok = !!body?.ok
  const message = ok ? (body.returnVisit ? '感谢您的回访评价' : THANKS[level])
    : (typeof body?.error?.message === 'string' ? `${body.error.message}，点此打开评价` : '网络不可用，评价未提交，点此打开评价')
  await self.registration.showNotification(ok ? '评价已提交' : '评价未提交', {
    body: message, icon: NOTIFICATION_ICON, badge: NOTIFICATION_ICON, tag: `rated-${data.rating.caseNumber || ''}`,
    data: { link, id: null, kind: 'RATING_RESULT', caseNumber: data.rating.caseNumber, rating: null },
  })
  await tellWindows({ type: 'RATING_RECORDED', caseNumber: data.rating.caseNumber, ok })
  return ok
}

// Focus a window of the app and take it to the link; open one when there is none.
async function openLink(link) {
  const url = new URL(link, self.location.origin).href
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true })
  const client = windows.find((w) => new URL(w.url).origin === self.location.origin)
  if (!client) return self.clients.openWindow(url)
  const focused = await client.focus().catch(() => client)
  if (focused.url !== url && 'navigate' in focused) {
    try {
      if (await focused.navigate(url)) return undefined
    } catch {
      // not controlled by this worker: the page routes itself
    }
  }
  if (focused.url !== url) focused.postMessage({ type: 'OPEN_LINK', link })
  return undefined
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close()
  const data = event.notification.data || {}
  // 满意 / 不满意 with a token: recorded without opening the app. 更多… (or no token) opens the sheet.
  const work = RATINGS[event.action] && data.rating ? rateFromNotification(data, RATINGS[event.action])
    : openLink(safeLink(data.link))
  event.waitUntil(work)
})

function keyBytes(base64url) {
  const base64 = (base64url + '='.repeat((4 - (base64url.length % 4)) % 4)).replace(/-/g, '+').replace(/_/g, '/')
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))
}

// The VAPID key is public; the worker has no token. Straight from the network, never cached.
async function serverKey() {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json, application/json' },
    body: JSON.stringify({ query: '{ webPushPublicKey }' }),
    cache: 'no-store',
  })
  const body = await response.json()
  return keyBytes(body.data.webPushPublicKey)
}

// The push service replaced the subscription: subscribe again, then let an open window register
// it with the person's token (lib/push.js); otherwise the app does it when next opened.
self.addEventListener('pushsubscriptionchange', (event) => {
  const renew = async () => {
    if (event.newSubscription) return
    const old = event.oldSubscription?.options
    const options = old?.applicationServerKey ? old : { userVisibleOnly: true, applicationServerKey: await serverKey() }
    await self.registration.pushManager.subscribe(options)
  }
  event.waitUntil(renew().catch(() => {}).then(() => tellWindows({ type: 'PUSH_SUBSCRIPTION_CHANGED' })))
})
