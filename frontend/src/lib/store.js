// What the app keeps on the device (IndexedDB through idb-keyval). The service worker never
// caches /graphql, so this is the only copy of catalog answers that works offline.
import { createStore, del, get, keys, set } from 'idb-keyval'

const store = createStore('zhangshangban', 'kv')
const RECENT_KEY = 'recent-items'
const HISTORY_KEY = 'search-history'
const RECENT_MAX = 20
const HISTORY_MAX = 10

export async function load(key) {
  try {
    return await get(key, store)
  } catch {
    return undefined // private mode, quota, or IndexedDB unavailable: behave as if nothing was saved
  }
}

export async function save(key, value) {
  try {
    await set(key, value, store)
  } catch {
    /* storage is best effort */
  }
}

export async function remove(key) {
  try {
    await del(key, store)
  } catch {
    /* ignore */
  }
}

/** Every saved key starting with `prefix` (drafts of applications, for one). */
export async function keysWithPrefix(prefix) {
  try {
    return (await keys(store)).filter((k) => typeof k === 'string' && k.startsWith(prefix))
  } catch {
    return []
  }
}

// Guides the person opened, newest first (shown on 首页 and 我的, all readable offline).
export async function recentItems() {
  return (await load(RECENT_KEY)) || []
}

export async function rememberItem(item) {
  const entry = {
    code: item.code,
    name: item.name,
    itemTypeLabel: item.itemTypeLabel,
    highFrequency: item.highFrequency,
    isBundle: item.isBundle,
    department: { name: item.department?.name || '' },
    viewedAt: Date.now(),
  }
  const list = (await recentItems()).filter((x) => x.code !== item.code)
  await save(RECENT_KEY, [entry, ...list].slice(0, RECENT_MAX))
}

export async function searchHistory() {
  return (await load(HISTORY_KEY)) || []
}

export async function rememberSearch(text) {
  const q = text.trim()
  if (!q) return
  const list = (await searchHistory()).filter((x) => x !== q)
  await save(HISTORY_KEY, [q, ...list].slice(0, HISTORY_MAX))
}

export async function clearSearchHistory() {
  await remove(HISTORY_KEY)
}
