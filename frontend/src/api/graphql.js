import { get, set } from 'idb-keyval'
import { reportNetworkFailure, reportNetworkSuccess } from '../lib/network.js'

const ACCEPT = 'application/graphql-response+json, application/json'
const TIMEOUT_MS = 15000

export class ApiError extends Error {
  constructor(message, { offline = false, code = null } = {}) {
    super(message)
    this.offline = offline
    this.code = code
  }
}

function messageFor(errors) {
  const first = errors?.[0]
  // Messages the server marks with a code are written for people; anything else is not.
  if (first?.extensions?.code) return first.message
  return '服务暂时不可用，请稍后重试'
}

// Catalog queries go out as GET so the browser's HTTP cache and the server's ETag can reuse them.
export async function query(document, variables = {}) {
  const params = new URLSearchParams({ query: document })
  const vars = Object.fromEntries(Object.entries(variables).filter(([, v]) => v !== undefined && v !== null && v !== ''))
  if (Object.keys(vars).length) params.set('variables', JSON.stringify(vars))
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS)
  let response
  try {
    response = await fetch(`/graphql?${params}`, { headers: { Accept: ACCEPT }, signal: controller.signal })
  } catch {
    reportNetworkFailure()
    throw new ApiError('网络连接失败，请检查网络后重试', { offline: true })
  } finally {
    clearTimeout(timer)
  }
  reportNetworkSuccess()
  let body
  try {
    body = await response.json()
  } catch {
    throw new ApiError('服务暂时不可用，请稍后重试')
  }
  if (body.errors?.length) throw new ApiError(messageFor(body.errors), { code: body.errors[0]?.extensions?.code })
  return body.data
}

// Like query(), but keeps the answer on the device and falls back to it when the network
// fails, so every guide a person has opened still opens offline. The service worker never
// caches /graphql; this copy belongs to the app.
export async function cachedQuery(key, document, variables = {}) {
  try {
    const data = await query(document, variables)
    set(key, { data, savedAt: Date.now() }).catch(() => {})
    return { data, stale: false, savedAt: Date.now() }
  } catch (error) {
    if (!error.offline) throw error
    const saved = await get(key).catch(() => undefined)
    if (!saved) throw new ApiError('当前处于离线状态，且此前未保存过该内容', { offline: true })
    return { data: saved.data, stale: true, savedAt: saved.savedAt }
  }
}
