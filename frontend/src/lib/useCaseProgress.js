// Live case progress (subscription caseProgress) that neither loses nor repeats an event.
//
// - The server replays every event after `after`, then sends new ones, in order.
// - We remember the cursor of the newest event we have. graphql-ws re-sends the very same
//   payload object when it reconnects, so the cursor is written into payload.variables.after
//   in place: a reconnect resumes right after the last event seen.
// - When the subscription ends with an error (an expired token closes the socket with 4401,
//   which graphql-ws does not retry), we subscribe again, from that same cursor.
// - Events whose id we already have (from the page's own query, or a replay) are dropped.
import { onBeforeUnmount, ref } from 'vue'
import { CASE_PROGRESS } from '../api/cases.js'
import { subscribe } from '../api/subscriptions.js'
import { onReconnect } from './network.js'

const RESUBSCRIBE_MS = 3000

/**
 * useCaseProgress({ caseNumber, onEvent }) → { events, seed, start, stop }
 * caseNumber: one case, or null for every case the viewer may follow (the staff queue).
 */
export function useCaseProgress({ caseNumber = null, onEvent } = {}) {
  const events = ref([]) // oldest first
  const seen = new Set()
  let cursor = null
  let payload = null
  let dispose = null
  let retry = null
  let stopped = false

  /** Events the page loaded by query: kept, and never shown twice. Sets the first cursor. */
  function seed(list) {
    const known = new Set(list.map((e) => e.id))
    const liveOnly = events.value.filter((e) => !known.has(e.id))
    list.forEach((e) => seen.add(e.id))
    events.value = [...list, ...liveOnly]
    // After the subscription started only it moves the cursor, in the order events come.
    if (!payload && list.length) cursor = list[list.length - 1].cursor
  }

  function receive(event) {
    cursor = event.cursor
    if (payload) payload.variables.after = cursor
    if (seen.has(event.id)) return
    seen.add(event.id)
    events.value = [...events.value, event]
    onEvent?.(event)
  }

  function start() {
    stopped = false
    if (dispose) return
    clearTimeout(retry)
    payload = { query: CASE_PROGRESS, variables: { after: cursor, caseNumber } }
    dispose = subscribe(payload, {
      next: (data) => { if (data?.caseProgress) receive(data.caseProgress) },
      error: () => again(),
      complete: () => again(),
    })
  }

  function again() {
    dispose?.()
    dispose = null
    if (stopped) return
    clearTimeout(retry)
    retry = setTimeout(start, RESUBSCRIBE_MS)
  }

  function stop() {
    stopped = true
    clearTimeout(retry)
    dispose?.()
    dispose = null
  }

  // Back online after an error: do not wait for the timer.
  const off = onReconnect(() => { if (!dispose && !stopped) start() })
  onBeforeUnmount(() => { off(); stop() })

  return { events, seed, start, stop }
}
