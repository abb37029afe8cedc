// The holder's e-licenses kept on this device (IndexedDB, per signed-in person), so 我的证照 and
// 亮证 still open without a network: the list with when it was last synced, an offline
// presentation per license (signed by the server while online, valid about 24 h), and which
// fields the person chose to disclose. Kept per person and removed at sign-out (personCache.js).
import { myLicenses, presentLicense } from '../api/licenses.js'
import { kept, personKey, plain, syncKept } from './personCache.js'
import { load, remove, save } from './store.js'

const REFRESH_OFFLINE_BEFORE_MS = 12 * 3600 * 1000 // fetch a new offline code once half its life is gone

const key = (kind, id = '') => personKey(`license-${kind}`, id)

/** { licenses, syncedAt } from the device, or null. */
export function cachedLicenses() {
  return kept('license-list')
}

export async function cachedLicense(id) {
  const saved = await cachedLicenses()
  return saved?.licenses.find((l) => String(l.id) === String(id)) || null
}

/** A license seen fresh on its own page updates its copy in the list (if it is one of mine). */
export async function updateCachedLicense(license) {
  const saved = await cachedLicenses()
  const k = key('list')
  if (!saved || !k) return
  const at = saved.licenses.findIndex((l) => String(l.id) === String(license.id))
  if (at < 0) return
  saved.licenses[at] = plain(license)
  await save(k, saved)
}

/**
 * 我的证照 from the server, kept on the device; the kept copy when the network fails.
 * → { data: { licenses, syncedAt }, savedAt } (savedAt set only when the copy is shown).
 */
export function syncLicenses() {
  return syncKept('license-list', '', async () => ({ licenses: (await myLicenses()).myLicenses }))
}

// ------------------------------------------------------------------ disclosure choice

/** The field keys the person chose to show for this license, or null for the default set. */
export async function chosenDisclosure(id) {
  const k = key('disclose', id)
  return k ? (await load(k)) ?? null : null
}

export async function chooseDisclosure(id, keys) {
  const k = key('disclose', id)
  if (!k) return
  if (keys === null) await remove(k)
  else await save(k, [...keys])
}

// ------------------------------------------------------------------ offline presentations

/** { presentation, disclose, savedAt } still valid for a while, or null. */
export async function offlinePresentation(id) {
  const k = key('offline', id)
  const saved = k ? await load(k) : null
  if (!saved || new Date(saved.presentation.expiresAt).getTime() <= Date.now()) return null
  return saved
}

const sameKeys = (a, b) => (a === null || b === null ? a === b : a.length === b.length && a.every((x) => b.includes(x)))

/**
 * Makes sure an offline presentation with this disclosure is on the device (fetches one while
 * online when missing, stale or for other fields). Never throws: offline it keeps what it has.
 */
export async function prepareOffline(id, disclose = undefined) {
  const k = key('offline', id)
  if (!k) return null
  const wanted = disclose === undefined ? await chosenDisclosure(id) : disclose
  const saved = await offlinePresentation(id)
  const fresh = saved && new Date(saved.presentation.expiresAt).getTime() - Date.now() > REFRESH_OFFLINE_BEFORE_MS
  if (fresh && sameKeys(saved.disclose ?? null, wanted)) return saved
  try {
    const presentation = await presentLicense(id, wanted, true)
    const entry = { presentation: plain(presentation), disclose: wanted, savedAt: Date.now() }
    await save(k, entry)
    return entry
  } catch {
    return saved
  }
}

/** After a sync: an offline code for each license that can be presented, one at a time. */
export async function prepareAllOffline(licenses) {
  let ready = 0
  for (const l of licenses) {
    if (l.status !== 'VALID') {
      // A license no longer valid must not be shown from an old offline code.
      const k = key('offline', l.id)
      if (k) await remove(k)
      continue
    }
    if (await prepareOffline(l.id)) ready += 1
  }
  return ready
}
