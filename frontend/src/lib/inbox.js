// The inbox, app-wide: how many notifications are unread, kept live while someone is signed in.
//
// - On sign-in we read the count and the newest notification in one request, then follow
//   notificationAdded after that one: nothing that arrives in between is lost or counted twice.
// - Like lib/useCaseProgress.js, the cursor of the newest notification seen is written into the
//   graphql-ws payload in place, so a reconnect resumes right after it; ids already seen are dropped.
// - The count is read again on reconnect, when the app comes back to the foreground and when the
//   service worker says a push arrived; and shortly after live arrivals (a reconnect's replay
//   may overlap a count that already includes them), the server's number wins.
// - onNotification(fn) lets an open inbox list put new items on top.
import { watch } from 'vue'
import { NOTIFICATION_ADDED, inboxHead, unreadNotificationCount } from '../api/notifications.js'
import { onReconnected, subscribe } from '../api/subscriptions.js'
import { currentSubject, signedIn } from './auth.js'
import { onReconnect } from './network.js'
import { unreadCount } from './unread.js'

const RESUBSCRIBE_MS = 3000
const RECOUNT_MS = 1500

export { unreadCount } from './unread.js'

const listeners = new Set()
/** fn(notification) for every new notification; returns a function that stops listening. */
export function onNotification(fn) {
  listeners.add(fn)
  return () => listeners.delete(fn)
}

/** A mark-read answer carries the server's count: take it. */
export function setUnreadCount(n) {
  if (Number.isInteger(n) && n >= 0) unreadCount.value = n
}

let who = null // the subject followed now
let cursor = null
let payload = null
let dispose = null
let generation = 0 // callbacks of an older subscription are ignored
let seen = new Set()
let arrivals = 0
let retryTimer = null
let recountTimer = null

async function begin(subject) {
  who = subject
  try {
    const head = await inboxHead()
    if (who !== subject) return
    unreadCount.value = head.unreadCount
    if (head.newest) {
      cursor = head.newest.cursor
      seen.add(head.newest.id)
    }
  } catch {
    // Offline or failing: follow from now; the count is read again on reconnect.
  }
  if (who === subject) follow()
}

function follow() {
  if (dispose || !who) return
  clearTimeout(retryTimer)
  const mine = ++generation
  payload = { query: NOTIFICATION_ADDED, variables: { after: cursor } }
  dispose = subscribe(payload, {
    next: (data) => { if (mine === generation && data?.notificationAdded) receive(data.notificationAdded) },
    error: () => { if (mine === generation) again() },
    complete: () => { if (mine === generation) again() },
  })
}

// The subscription ended (an expired token closes with 4401, which graphql-ws does not
// retry): follow again from the same cursor.
function again() {
  generation += 1
  dispose?.()
  dispose = null
  if (!who) return
  clearTimeout(retryTimer)
  retryTimer = setTimeout(() => { recount(); follow() }, RESUBSCRIBE_MS)
}

function receive(n) {
  cursor = n.cursor
  if (payload) payload.variables.after = cursor
  if (seen.has(n.id)) return
  seen.add(n.id)
  if (!n.read) {
    unreadCount.value += 1
    arrivals += 1
    clearTimeout(recountTimer)
    recountTimer = setTimeout(recount, RECOUNT_MS)
  }
  listeners.forEach((fn) => fn(n))
}

/** Read the count again. An answer that raced a live arrival is dropped (another follows). */
export async function recount() {
  if (!who) return
  const subject = who
  const before = arrivals
  try {
    const n = await unreadNotificationCount()
    if (who === subject && arrivals === before) unreadCount.value = n
  } catch {
    // keep what is shown
  }
}

function stop() {
  who = null
  generation += 1
  dispose?.()
  dispose = null
  clearTimeout(retryTimer)
  clearTimeout(recountTimer)
  cursor = null
  payload = null
  seen = new Set()
  unreadCount.value = 0
}

let started = false

/** Once, from App.vue: follows whoever is signed in, and stops at sign-out. */
export function startInbox() {
  if (started) return
  started = true
  watch(() => (signedIn.value ? currentSubject() : null), (subject) => {
    stop()
    if (subject) begin(subject)
  }, { immediate: true })

  onReconnected(() => { if (who) recount() })
  onReconnect(() => { if (who && !dispose) follow() }) // back online after a failed subscription
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState !== 'visible' || !who) return
    recount()
    if (!dispose) follow()
  })
  navigator.serviceWorker?.addEventListener('message', (event) => {
    if (event.data?.type === 'NOTIFICATION_PUSHED') recount()
  })
}
