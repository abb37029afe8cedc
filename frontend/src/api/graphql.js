// GraphQL over HTTP for the public catalog.
//
// Queries go out as GET so the browser's HTTP cache and the server's ETag can reuse them, as
// automatic persisted queries (Apollo's APQ): the URL names the document by its sha256
// (extensions.persistedQuery) instead of carrying its text; when the server does not know the
// hash yet (PERSISTED_QUERY_NOT_FOUND) the same GET is sent once more with the text. Every failure becomes an ApiError whose message is Chinese
// and written for people; raw server text never reaches the screen.
import { load, save } from '../lib/store.js'
import { reportNetworkFailure, reportNetworkSuccess } from '../lib/network.js'
import { accessToken, signOut } from '../lib/auth.js'

const ENDPOINT = '/graphql'
const ACCEPT = 'application/graphql-response+json, application/json'
const TIMEOUT_MS = 12000

export const MESSAGES = {
  offline: '网络连接失败，请检查网络后重试',
  timeout: '网络较慢，请求超时，请稍后重试',
  server: '服务暂时不可用，请稍后重试',
  request: '请求有误，请返回首页后重试',
  notSaved: '当前处于离线状态，且此前未保存过该内容',
}

export class ApiError extends Error {
  /** kind: offline | timeout | server | request | graphql | aborted */
  constructor(message, { kind, code = null } = {}) {
    super(message)
    this.name = 'ApiError'
    this.kind = kind
    this.code = code
  }

  /** Failures where a saved copy is the best we can do. */
  get canUseSaved() {
    return this.kind === 'offline' || this.kind === 'timeout' || this.kind === 'server'
  }
}

const HAS_CHINESE = /[\u4e00-\u9fff]/

// The server marks messages written for people with an extensions.code (and writes them in
// Chinese); parse/validation messages and masked errors are not for people.
function messageFor(errors) {
  const first = errors?.[0]
  const text = typeof first?.message === 'string' ? first.message : ''
  if (first?.extensions?.code && HAS_CHINESE.test(text)) return text
  if (first?.extensions?.code === 'NOT_FOUND') return '未找到相关内容'
  return MESSAGES.server
}

function compact(document) {
  return document.replace(/\s+/g, ' ').trim()
}

function cleanVariables(variables) {
  return Object.fromEntries(
    Object.entries(variables || {}).filter(([, v]) => v !== undefined && v !== null && v !== ''),
  )
}

// Signed-in calls (personal data, mutations) go as POST with the access token and are never
// cached: not by the browser, not by the service worker, not on the device.
export function authedQuery(document, variables = {}, options = {}) {
  const token = accessToken()
  if (!token) return Promise.reject(new ApiError('请先登录', { kind: 'graphql', code: 'NOT_AUTHENTICATED' }))
  return query(document, variables, { ...options, token })
}

const hashes = new Map()

// crypto.subtle exists only in secure contexts (https, localhost): elsewhere the text goes as is.
async function documentHash(text) {
  if (!globalThis.crypto?.subtle) return null
  if (!hashes.has(text)) {
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
    hashes.set(text, [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join(''))
  }
  return hashes.get(text)
}

export async function query(document, variables = {}, options = {}) {
  const text = compact(document)
  const vars = cleanVariables(variables)
  const hash = options.token ? null : await documentHash(text)
  if (hash) {
    const persisted = { persistedQuery: { version: 1, sha256Hash: hash } }
    try {
      return await send(text, vars, { ...options, persisted, withText: false })
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== 'PERSISTED_QUERY_NOT_FOUND') throw error
      return send(text, vars, { ...options, persisted, withText: true })
    }
  }
  return send(text, vars, { ...options, withText: true })
}

async function send(text, vars, { signal, token, persisted = null, withText }) {
  const params = new URLSearchParams()
  if (withText) params.set('query', text)
  if (Object.keys(vars).length) params.set('variables', JSON.stringify(vars))
  if (persisted) params.set('extensions', JSON.stringify(persisted))

  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => { timedOut = true; controller.abort() }, TIMEOUT_MS)
  const forwardAbort = () => controller.abort()
  signal?.addEventListener('abort', forwardAbort)

  let response
  try {
    response = await fetch(token ? ENDPOINT : `${ENDPOINT}?${params}`, token ? {
      method: 'POST',
      headers: { Accept: ACCEPT, 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: text, variables: vars }),
      cache: 'no-store',
      signal: controller.signal,
    } : {
      method: 'GET',
      headers: { Accept: ACCEPT },
      credentials: 'same-origin',
      signal: controller.signal,
    })
  } catch {
    if (signal?.aborted) throw new ApiError('已取消', { kind: 'aborted' })
    reportNetworkFailure()
    if (timedOut) throw new ApiError(MESSAGES.timeout, { kind: 'timeout' })
    throw new ApiError(MESSAGES.offline, { kind: 'offline' })
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', forwardAbort)
  }
  reportNetworkSuccess()

  let body = null
  try {
    body = await response.json()
  } catch {
    body = null
  }
  if (response.status === 401) {
    signOut()
    throw new ApiError(messageFor(body?.errors) === MESSAGES.server ? '登录已失效，请重新登录' : messageFor(body?.errors),
      { kind: 'graphql', code: 'NOT_AUTHENTICATED' })
  }
  // No data, or only nulls beside errors (a nullable root field that failed, e.g. `case`):
  // that is a failure to report, not "nothing found".
  const onlyNulls = body?.data && typeof body.data === 'object' && Object.values(body.data).every((v) => v === null)
  if (body?.errors?.length && (!body.data || onlyNulls)) {
    const code = body.errors[0]?.extensions?.code || null
    throw new ApiError(messageFor(body.errors), { kind: response.status >= 500 ? 'server' : 'graphql', code })
  }
  if (!response.ok || !body || typeof body.data !== 'object' || body.data === null) {
    throw new ApiError(response.status >= 500 || !body ? MESSAGES.server : MESSAGES.request, {
      kind: response.status >= 500 || !body ? 'server' : 'request',
    })
  }
  // Partial data with errors: show what we have (the catalog fields are all-or-nothing today).
  return body.data
}

// Like query(), but keeps the answer on the device and falls back to it when the network
// (or the server) fails, so the home page and every guide a person has opened still open
// offline. Returns { data, savedAt } where savedAt is set only when the saved copy is shown.
export async function cachedQuery(key, document, variables = {}, options = {}) {
  try {
    const data = await query(document, variables, options)
    // Kept in the background: the screen shows the answer without waiting for IndexedDB (on a
    // slow phone the write of a long guide costs a visible delay). A failed write only means no
    // saved copy next time offline.
    save(key, { data, savedAt: Date.now() }).catch(() => {})
    return { data, savedAt: null }
  } catch (error) {
    if (!(error instanceof ApiError) || !error.canUseSaved) throw error
    const saved = await load(key)
    if (!saved) {
      if (error.kind === 'offline') throw new ApiError(MESSAGES.notSaved, { kind: 'offline' })
      throw error
    }
    return { data: saved.data, savedAt: saved.savedAt }
  }
}
