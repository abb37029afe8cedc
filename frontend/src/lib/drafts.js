// Unfinished applications, kept on the device (IndexedDB) per person and per item, with the
// chosen files as Blobs, so an application survives a closed tab and can be sent offline.
//
// A draft gets its idempotencyKey once, when it is created: however often it is sent (a double
// tap, a retry after a lost answer, another tab, the outbox when the network returns) the
// server makes one case of it. A draft sent while offline is queued and sent again, by itself,
// when the browser is back online. A draft is deleted once the server has made the case.
import { watch } from 'vue'
import { showNotify } from 'vant'
import { submitApplication, uploadFile } from '../api/cases.js'
import { currentSubject, session } from './auth.js'
import { onReconnect } from './network.js'
import { keysWithPrefix, load, remove, save } from './store.js'

const PREFIX = 'draft:'

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID()
  // Plain-http LAN addresses are not a secure context: same format from getRandomValues.
  const b = crypto.getRandomValues(new Uint8Array(16))
  b[6] = (b[6] & 0x0f) | 0x40
  b[8] = (b[8] & 0x3f) | 0x80
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

function keyFor(itemCode, subject = currentSubject()) {
  return subject ? `${PREFIX}${subject}:${itemCode}` : null
}

export function newDraft(itemCode) {
  return {
    itemCode,
    itemName: '',
    idempotencyKey: uuid(),
    enterpriseUscc: '', // '' = applying as oneself
    form: null, // the last applicationForm seen: lets a queued draft be sent without asking again
    materials: {}, // materialId → { mode: 'upload' | 'fields' | 'deferred', files: [], fields: [] }
    deficiencyPromise: '',
    queued: false,
    lastError: '',
    updatedAt: Date.now(),
  }
}

export function newFileEntry(file) {
  return { key: uuid(), name: file.name || '材料', type: file.type || '', size: file.size, blob: file, uploadId: null,
    status: 'pending', error: '' }
}

export function materialEntry(draft, material) {
  if (!draft.materials[material.materialId]) {
    draft.materials[material.materialId] = { mode: material.acceptsFields ? 'fields' : 'upload', files: [],
      fields: [{ name: '', value: '' }] }
  }
  return draft.materials[material.materialId]
}

// IndexedDB takes plain objects (not Vue proxies); Blobs are stored as they are.
function plain(draft) {
  const materials = {}
  for (const [id, m] of Object.entries(draft.materials || {})) {
    materials[id] = {
      mode: m.mode,
      files: (m.files || []).map((f) => ({ key: f.key, name: f.name, type: f.type, size: f.size, blob: f.blob,
        uploadId: f.uploadId || null, status: f.uploadId ? 'done' : (f.status === 'failed' ? 'failed' : 'pending'),
        error: f.error || '', retryable: !!f.retryable })),
      fields: (m.fields || []).map((x) => ({ name: x.name, value: x.value })),
    }
  }
  return {
    itemCode: draft.itemCode, itemName: draft.itemName, idempotencyKey: draft.idempotencyKey,
    enterpriseUscc: draft.enterpriseUscc || '', form: draft.form ? JSON.parse(JSON.stringify(draft.form)) : null,
    materials, deficiencyPromise: draft.deficiencyPromise || '', queued: !!draft.queued,
    lastError: draft.lastError || '', updatedAt: Date.now(),
  }
}

export async function loadDraft(itemCode) {
  const key = keyFor(itemCode)
  return key ? (await load(key)) || null : null
}

export async function saveDraft(draft) {
  const key = keyFor(draft.itemCode)
  if (key) await save(key, plain(draft))
}

export async function deleteDraft(itemCode) {
  const key = keyFor(itemCode)
  if (key) await remove(key)
}

/** The signed-in person's drafts, newest first. */
export async function listDrafts() {
  const subject = currentSubject()
  if (!subject) return []
  const keys = await keysWithPrefix(`${PREFIX}${subject}:`)
  const drafts = (await Promise.all(keys.map((k) => load(k)))).filter(Boolean)
  return drafts.sort((a, b) => b.updatedAt - a.updatedAt)
}

// ------------------------------------------------------------------ what the draft says

/** 容缺 is for required materials the guide allows to come later (optional ones may simply be left out). */
export const canDefer = (m) => m.required && m.deficiencyAllowed && !m.onFile

function provided(material, entry) {
  if (material.onFile) return true
  if (!entry) return false
  if (entry.mode === 'deferred') return canDefer(material)
  if (entry.mode === 'fields') return entry.fields.some((f) => f.name.trim() && f.value.trim())
  return entry.files.some((f) => f.status !== 'failed')
}

/** Required materials not provided yet, in the shape of MaterialsMissingError.missing. */
export function missingMaterials(draft) {
  return (draft.form?.materials || [])
    .filter((m) => m.required && !provided(m, draft.materials[m.materialId]))
    .map((m) => ({ materialId: m.materialId, name: m.name, deficiencyAllowed: m.deficiencyAllowed }))
}

export function deferredMaterials(draft) {
  return (draft.form?.materials || []).filter((m) => canDefer(m) && draft.materials[m.materialId]?.mode === 'deferred')
}

/** SubmitApplicationInput. Deferred (容缺) and on-file materials are left out: the server
 * records those from the form and the written promise. Every file must be uploaded first. */
export function buildInput(draft) {
  const materials = []
  for (const m of draft.form?.materials || []) {
    const entry = draft.materials[m.materialId]
    if (m.onFile || !entry) continue
    if (entry.mode === 'upload') {
      const uploadIds = entry.files.filter((f) => f.uploadId).map((f) => f.uploadId)
      if (uploadIds.length) materials.push({ materialId: m.materialId, uploadIds })
    } else if (entry.mode === 'fields') {
      const fields = entry.fields.filter((f) => f.name.trim() && f.value.trim())
        .map((f) => ({ name: f.name.trim(), value: f.value.trim() }))
      if (fields.length) materials.push({ materialId: m.materialId, fields })
    }
  }
  const input = { itemCode: draft.itemCode, materials, idempotencyKey: draft.idempotencyKey }
  if (draft.enterpriseUscc) input.enterpriseUscc = draft.enterpriseUscc
  if (deferredMaterials(draft).length) input.deficiencyPromise = draft.deficiencyPromise.trim()
  return input
}

// ------------------------------------------------------------------ sending

const isNetworkFailure = (e) => e?.kind === 'offline' || e?.kind === 'timeout'
const isSignedOut = (e) => e?.code === 'NOT_AUTHENTICATED'

/** Upload one chosen file (sets uploadId / status / error on the entry). */
export async function uploadEntry(entry) {
  entry.status = 'uploading'
  entry.error = ''
  try {
    const uploaded = await uploadFile(new File([entry.blob], entry.name, { type: entry.type }))
    entry.uploadId = uploaded.id
    entry.status = 'done'
  } catch (e) {
    // Network or sign-in trouble says nothing about the file: it is sent again later.
    const transient = isNetworkFailure(e) || isSignedOut(e)
    entry.status = transient ? 'pending' : 'failed'
    entry.error = transient ? '' : e.message
    entry.retryable = e?.kind === 'server' // a bad type or size stays bad
    throw e
  }
}

async function uploadPending(draft) {
  for (const m of Object.values(draft.materials)) {
    if (m.mode !== 'upload') continue
    for (const f of m.files) if (!f.uploadId) await uploadEntry(f)
  }
}

const inFlight = new Map() // draft key → promise: one send per draft at a time

/**
 * Send a draft. Resolves to { state: 'submitted', case } | { state: 'queued' } |
 * { state: 'failed', outcome } — queued when the network is not there (the outbox sends it
 * when it returns), failed when the server or a file says no (the person must change something).
 */
export function submitDraft(draft) {
  const key = keyFor(draft.itemCode)
  if (inFlight.has(key)) return inFlight.get(key)
  const run = (async () => {
    try {
      if (!navigator.onLine) throw Object.assign(new Error('offline'), { kind: 'offline' })
      await uploadPending(draft)
      const result = await submitApplication(buildInput(draft))
      if (!result.ok) {
        draft.queued = false
        draft.lastError = result.message
        await saveDraft(draft)
        return { state: 'failed', outcome: result }
      }
      await deleteDraft(draft.itemCode)
      return { state: 'submitted', case: result.case }
    } catch (e) {
      if (isNetworkFailure(e)) {
        draft.queued = true
        draft.lastError = ''
        await saveDraft(draft)
        return { state: 'queued' }
      }
      if (isSignedOut(e) && draft.queued) { // the outbox waits for the next sign-in
        draft.lastError = '登录已失效，重新登录后将自动提交'
        await saveDraft(draft)
        return { state: 'queued' }
      }
      draft.queued = false
      draft.lastError = e?.message || '提交失败，请稍后重试'
      await saveDraft(draft)
      return { state: 'failed', outcome: { ok: false, message: draft.lastError, missing: [] } }
    }
  })()
  inFlight.set(key, run)
  run.finally(() => inFlight.delete(key))
  return run
}

// ------------------------------------------------------------------ the outbox

const listeners = new Set()

/** Hear what the outbox did with a queued draft: fn({ itemCode, result }) → true if shown. */
export function onOutbox(fn) {
  listeners.add(fn)
  return () => listeners.delete(fn)
}

let flushing = false

export async function flushOutbox() {
  if (flushing || !navigator.onLine || !currentSubject()) return
  flushing = true
  try {
    for (const saved of await listDrafts()) {
      if (!saved.queued) continue
      const result = await submitDraft(saved)
      if (result.state === 'queued') break // still no network: try again when it returns
      let shown = false
      listeners.forEach((fn) => { shown = fn({ itemCode: saved.itemCode, result }) || shown })
      if (shown) continue
      if (result.state === 'submitted') {
        showNotify({ type: 'success', duration: 5000,
          message: `离线时提交的“${saved.itemName}”申请已自动提交，办件编号 ${result.case.number}` })
      } else {
        showNotify({ type: 'warning', duration: 6000,
          message: `离线时提交的“${saved.itemName}”申请未能提交：${result.outcome.message}` })
      }
    }
  } finally {
    flushing = false
  }
}

let started = false

/** Called once at start-up: send queued drafts now, when the network returns, after sign-in. */
export function startOutbox() {
  if (started) return
  started = true
  window.addEventListener('online', () => flushOutbox())
  onReconnect(() => flushOutbox())
  // Signed in again (a queued draft waits for its owner's token).
  watch(() => session.value?.token, (token) => { if (token) flushOutbox() })
  flushOutbox()
}
