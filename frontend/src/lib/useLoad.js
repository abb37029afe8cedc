// Loading / error / saved-copy state shared by the screens.
import { onActivated, onBeforeUnmount, ref } from 'vue'
import { onReconnect } from './network.js'

export function useLoad(loader, { onData } = {}) {
  const data = ref(null)
  const loading = ref(true)
  const error = ref('')
  const savedAt = ref(null) // set when the saved copy is shown instead of a fresh answer
  let generation = 0

  async function load({ quiet = false } = {}) {
    const mine = ++generation
    if (!quiet) loading.value = true
    error.value = ''
    try {
      const result = await loader()
      if (mine !== generation) return
      data.value = result.data
      savedAt.value = result.savedAt || null
      onData?.(result.data)
    } catch (e) {
      if (mine !== generation || e?.kind === 'aborted') return
      // Keep what is on screen after a failed quiet refresh.
      if (!quiet || !data.value) error.value = e?.message || '加载失败，请稍后重试'
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  // Back online: refresh whatever came from the device or failed.
  const stop = onReconnect(() => {
    if (savedAt.value || error.value) load({ quiet: !!data.value })
  })
  onBeforeUnmount(stop)
  // A kept-alive screen that shows a saved copy retries when the person comes back to it.
  onActivated(() => {
    if (savedAt.value && navigator.onLine) load({ quiet: true })
  })

  return { data, loading, error, savedAt, load }
}
