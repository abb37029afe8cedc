import { registerSW } from 'virtual:pwa-register'
import { showConfirmDialog } from 'vant'

const UPDATE_CHECK_MS = 60 * 60 * 1000

let reloading = false
function reloadOnce() {
  if (reloading) return
  reloading = true
  window.location.reload()
}

// The first visit fetched this screen's chunks before the worker existed: once it is active,
// hand it their URLs so the screen opens offline too (the worker caches /assets/ files only).
function handOverLoadedChunks() {
  navigator.serviceWorker.ready.then((registration) => {
    const urls = performance.getEntriesByType('resource').map((e) => e.name)
      .filter((name) => new URL(name).pathname.startsWith('/assets/'))
    registration.active?.postMessage({ type: 'CACHE_URLS', urls })
  }).catch(() => {})
}

// A new version waits until the person agrees; we never switch versions under them.
// On "立即更新" the page posts {type: 'SKIP_WAITING'} to the waiting worker and reloads once
// that worker has taken control of the page.
export function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return
  let asking = false
  const updateSW = registerSW({
    immediate: true,
    onNeedRefresh() {
      if (asking) return
      asking = true
      showConfirmDialog({
        title: '发现新版本',
        message: '发现新版本，是否立即更新？更新后页面将重新加载。',
        confirmButtonText: '立即更新',
        cancelButtonText: '稍后',
      }).then(() => {
        // workbox-window reloads only when the page was already controlled when it loaded;
        // a first-visit tab that met an update must reload too.
        navigator.serviceWorker.addEventListener('controllerchange', reloadOnce, { once: true })
        return updateSW(true)
      }).catch(() => {}).finally(() => { asking = false })
    },
    onNeedReload: reloadOnce,
    onRegisteredSW(_url, registration) {
      if (!registration) return
      handOverLoadedChunks()
      // Long-lived tabs (an installed app left open) look for a new version now and then.
      setInterval(() => {
        if (navigator.onLine && !registration.installing) registration.update().catch(() => {})
      }, UPDATE_CHECK_MS)
    },
  })
}
