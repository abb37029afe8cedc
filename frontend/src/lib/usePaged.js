// A list a page at a time (cases, notifications, verifications), with loading / error / empty
// states, 加载更多, and items that arrive live put on top. With `keepAs` the first page is kept
// on the device for the signed-in person (personCache.js) and shown, with savedAt, when the
// network fails.
import { computed, ref } from 'vue'
import { syncKept } from './personCache.js'

/**
 * fetchPage(after) → a connection { edges { node } pageInfo totalCount }; key(node) → its identity;
 * keepAs() → the kind of kept copy for the first page as the list is now, or null.
 */
export function usePaged(fetchPage, { key = (node) => node.id, keepAs = null } = {}) {
  const items = ref([])
  const total = ref(0)
  const cursor = ref(null)
  const hasNext = ref(false)
  const loading = ref(true)
  const loadingMore = ref(false)
  const error = ref('')
  const moreError = ref('')
  const savedAt = ref(null) // set when the first page is the copy kept on the device
  let generation = 0
  let arrived = [] // prepended while a load was on its way: newer than what it brings

  function take(page) {
    total.value = page.totalCount
    cursor.value = page.pageInfo.endCursor
    hasNext.value = page.pageInfo.hasNextPage
    return page.edges.map((e) => e.node)
  }

  async function load({ quiet = false } = {}) {
    const mine = ++generation
    arrived = []
    if (!quiet) loading.value = true
    error.value = ''
    try {
      const kind = keepAs?.()
      const { data: page, savedAt: saved } = kind
        ? await syncKept(kind, '', () => fetchPage(null))
        : { data: await fetchPage(null), savedAt: null }
      if (mine !== generation) return
      savedAt.value = saved || null
      const nodes = take(page)
      if (saved) hasNext.value = false // 加载更多 needs the network: back online the list reloads
      const have = new Set(nodes.map(key))
      items.value = [...arrived.filter((n) => !have.has(key(n))), ...nodes]
    } catch (e) {
      if (mine !== generation) return
      if (!quiet || !items.value.length) error.value = e?.message || '加载失败，请稍后重试'
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  async function loadMore() {
    const mine = generation
    loadingMore.value = true
    moreError.value = ''
    try {
      const page = await fetchPage(cursor.value)
      if (mine !== generation) return
      const have = new Set(items.value.map(key))
      items.value = [...items.value, ...take(page).filter((n) => !have.has(key(n)))]
    } catch (e) {
      if (mine === generation) moreError.value = e?.message || '加载失败，请重试'
    } finally {
      loadingMore.value = false
    }
  }

  function prepend(node) {
    if (items.value.some((n) => key(n) === key(node))) return
    items.value = [node, ...items.value]
    total.value += 1
    if (loading.value) arrived = [node, ...arrived]
  }

  function clear() {
    generation += 1
    items.value = []
    cursor.value = null
    hasNext.value = false
  }

  const empty = computed(() => !loading.value && !error.value && !items.value.length)
  return { items, total, hasNext, loading, loadingMore, error, moreError, empty, savedAt, load, loadMore, prepend, clear }
}
