// One case, kept current: loaded by query, its timeline followed live (useCaseProgress), and
// refetched when an event arrives (status, allowed actions and deadline change with it).
// The case with its timeline is kept on the device (personCache.js), updated with every live
// event: offline it opens from there (savedAt set), and the subscription, seeded with the kept
// events, resumes after the last of them when the network returns, so nothing is missed.
import { computed, onBeforeUnmount } from 'vue'
import { caseDetail } from '../api/cases.js'
import { keep, syncKept } from './personCache.js'
import { useCaseProgress } from './useCaseProgress.js'
import { useLoad } from './useLoad.js'

const REFETCH_MS = 250 // events come in bursts (accepted + due soon): one refetch for them

export function useLiveCase(number) {
  let timer = null
  const progress = useCaseProgress({
    caseNumber: number,
    onEvent: () => {
      // The cursor reached is kept at once, before the refetch (which may not come offline).
      if (state.data.value) keep('case', number, { case: { ...state.data.value, events: progress.events.value } })
      clearTimeout(timer)
      timer = setTimeout(() => state.load({ quiet: true }), REFETCH_MS)
    },
  })
  const state = useLoad(async () => {
    const { data, savedAt } = await syncKept('case', number, async () => ({ case: (await caseDetail(number)).case }))
    return { data: data.case, savedAt }
  }, {
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
    keep('case', number, { case: updated })
  }

  const notFound = computed(() => !state.loading.value && !state.error.value && !state.data.value)
  return { ...state, events: progress.events, notFound, replace }
}
