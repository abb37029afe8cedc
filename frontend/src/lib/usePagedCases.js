// A list of cases a page at a time (myCases, staffCases, an enterprise's cases), with
// loading / error / empty states and 加载更多.
import { computed, ref } from 'vue'

/** fetchPage(after) → CaseConnection */
export function usePagedCases(fetchPage) {
  const items = ref([])
  const total = ref(0)
  const cursor = ref(null)
  const hasNext = ref(false)
  const loading = ref(true)
  const loadingMore = ref(false)
  const error = ref('')
  const moreError = ref('')
  let generation = 0

  async function load({ quiet = false } = {}) {
    const mine = ++generation
    if (!quiet) loading.value = true
    error.value = ''
    try {
      const page = await fetchPage(null)
      if (mine !== generation) return
      items.value = page.edges.map((e) => e.node)
      total.value = page.totalCount
      cursor.value = page.pageInfo.endCursor
      hasNext.value = page.pageInfo.hasNextPage
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
      const have = new Set(items.value.map((c) => c.number))
      items.value = [...items.value, ...page.edges.map((e) => e.node).filter((c) => !have.has(c.number))]
      total.value = page.totalCount
      cursor.value = page.pageInfo.endCursor
      hasNext.value = page.pageInfo.hasNextPage
    } catch (e) {
      if (mine === generation) moreError.value = e?.message || '加载失败，请重试'
    } finally {
      loadingMore.value = false
    }
  }

  const empty = computed(() => !loading.value && !error.value && !items.value.length)
  return { items, total, hasNext, loading, loadingMore, error, moreError, empty, load, loadMore }
}
