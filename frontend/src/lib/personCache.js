// What the app keeps on this device for the signed-in person (IndexedDB, keyed by the token's
// subject, so two people on one phone never see each other's copy): 我的证照 and the offline
// 亮证 codes (licenseCache.js), 我的办件, each case opened with its timeline (caseCache.js), the
// inbox and 我的预约 (bookingCache.js). A kept copy is what a screen shows when the network fails,
// with when it was last synced; signing out (我的 → 退出登录) removes the person's copies, and so
// does another person signing in on this device (a session that merely expired leaves them).
// Drafts (drafts.js) are not here: an unsent application outlives a sign-out and waits for its owner.
import { ApiError, MESSAGES } from '../api/graphql.js'
import { currentSubject } from './auth.js'
import { keysWithPrefix, load, remove, save } from './store.js'

// Every kind of kept copy, so a sign-out can find them all. Key: `${kind}:${subject}[:${id}]`.
export const KINDS = ['license-list', 'license-disclose', 'license-offline', 'cases', 'case', 'inbox', 'inbox-unread',
  'bookings']

export function personKey(kind, id = '', subject = currentSubject()) {
  return subject ? `${kind}:${subject}${id ? `:${id}` : ''}` : null
}

export const plain = (value) => JSON.parse(JSON.stringify(value))

/** The kept copy ({ ...value, syncedAt }), or null. */
export async function kept(kind, id = '') {
  const k = personKey(kind, id)
  return k ? (await load(k)) || null : null
}

/** Keep `value` (an object) as synced now; returns the entry kept. */
export async function keep(kind, id, value) {
  const k = personKey(kind, id)
  const entry = { ...plain(value), syncedAt: Date.now() }
  if (k) await save(k, entry)
  return entry
}

/**
 * fetch() from the server and keep its answer; when the network (or the server) fails, the
 * kept copy. → { data: { ...value, syncedAt }, savedAt } (savedAt set only when the copy is
 * shown). Offline with nothing kept, the error says so in the banner's words.
 */
export async function syncKept(kind, id, fetch) {
  try {
    return { data: await keep(kind, id, await fetch()), savedAt: null }
  } catch (error) {
    if (!error?.canUseSaved) throw error
    const saved = await kept(kind, id)
    if (saved) return { data: saved, savedAt: saved.syncedAt }
    if (error.kind === 'offline') throw new ApiError(MESSAGES.notSaved, { kind: 'offline' })
    throw error
  }
}

const isOf = (k, kind, subject) => k === `${kind}:${subject}` || k.startsWith(`${kind}:${subject}:`)

/** Signing out: every copy kept for whoever is signed in now. Call before signOut(). */
export async function forgetSignedInPerson() {
  const subject = currentSubject()
  if (!subject) return
  for (const kind of KINDS) {
    const own = await keysWithPrefix(`${kind}:${subject}`)
    await Promise.all(own.filter((k) => isOf(k, kind, subject)).map(remove))
  }
}

/** Someone has just signed in: copies kept for anyone else on this device (a session that
 * expired without 退出登录) are removed, so the phone holds one person's copies at a time. */
export async function forgetOtherPeople() {
  const subject = currentSubject()
  if (!subject) return
  for (const kind of KINDS) {
    const all = await keysWithPrefix(`${kind}:`)
    await Promise.all(all.filter((k) => !isOf(k, kind, subject)).map(remove))
  }
}
