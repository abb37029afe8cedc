// One case, kept current: loaded by query, its timeline followed live (useCaseProgress), and
// refetched when an event arrives (status, allowed actions and deadline change with it).
import { computed, onBeforeUnmount } from 'vue'
import { caseDetail } from '../api/cases.js'
import { useCaseProgress } from './useCaseProgress.js'
import { useLoad } from './useLoad.js'

const REFETCH_MS = 250 // events come in bursts (accepted + due soon): one refetch for them

export function useLiveCase(number) {
  let timer = null
  const progress = useCaseProgress({
    caseNumber: number,
    onEvent: () => {
      clearTimeout(timer)
      timer = setTimeout(() => state.load({ quiet: true }), REFETCH_MS)
    },
  })
  const state = useLoad(async () => ({ data: (await caseDetail(number)).case }), {
    onData: (c) => {
      if (!c) return
      progress.seed(c.events)
      progress.start()
    },
  })
  onBeforeUnmount(() => clearTimeout(timer))

  /** A mutation answered with the case as it is now. */
  function replace(updated) {
    state.data.value = updated
    progress.seed(updated.events)
  }

  const notFound = computed(() => !state.loading.value && !state.error.value && !state.data.value)
  return { ...state, events: progress.events, notFound, replace }
}
