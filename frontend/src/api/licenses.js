// E-licenses (电子证照): the holder's licenses, presenting one (亮证), verifying a presentation
// and who verified. Personal calls are signed in (authedQuery: POST, never cached by the
// browser); verifying works signed out too, so it has its own small POST.
import { ApiError, MESSAGES, authedQuery } from './graphql.js'
import { accessToken } from '../lib/auth.js'
import { reportNetworkFailure, reportNetworkSuccess } from '../lib/network.js'

export const LICENSE = `id identifier typeCode typeName holderKind holderName issuerName issuerUscc issuedOn
  validFrom validUntil status statusCode statusLabel statusReason fields { key label value } defaultDisclose template caseNumber`
const PRESENTATION = 'token qrSvg expiresAt verifyUrl offline'
const HAS_CHINESE = /[\u4e00-\u9fff]/
const TIMEOUT_MS = 12000

export function myLicenses() {
  return authedQuery(`{ myLicenses { ${LICENSE} } }`)
}

export function license(id) {
  return authedQuery(`query($id: ID!) { license(id: $id) { ${LICENSE} } }`, { id })
}

export function enterpriseLicenses(uscc) {
  return authedQuery(`query($uscc: String!) { enterprise(uscc: $uscc) { licenses { ${LICENSE} } } }`, { uscc })
}

const PRESENT_FALLBACK = {
  NotFoundError: '未找到该证照，或您无权出示',
  NotPermittedError: '只有持证人可以出示证照',
  InputError: '所选出示字段有误，请重新选择',
}

/** A presentation (亮证码) → { token, qrSvg, expiresAt, verifyUrl, offline }; throws ApiError. */
export async function presentLicense(licenseId, disclose = null, offline = false) {
  const data = await authedQuery(`mutation($id: ID!, $disclose: [String!], $offline: Boolean!) {
    presentLicense(licenseId: $id, disclose: $disclose, offline: $offline) {
      __typename ... on LicensePresentation { ${PRESENTATION} }
      ... on NotFoundError { code message } ... on NotPermittedError { code message }
      ... on InputError { code message } } }`,
  // An empty list is a real choice ("show no fields"): keep it, only null means the default set.
  { id: licenseId, disclose: disclose ?? undefined, offline })
  const result = data.presentLicense
  if (result?.__typename === 'LicensePresentation') return result
  const message = HAS_CHINESE.test(result?.message || '') ? result.message : (PRESENT_FALLBACK[result?.__typename] || MESSAGES.server)
  throw new ApiError(message, { kind: 'graphql', code: result?.code || null })
}

export function licenseVerifications(after) {
  return authedQuery(`query($after: String) { myLicenseVerifications(first: 20, after: $after) {
    totalCount edges { cursor node { id licenseId licenseTypeName verifiedAt verifier valid reason } }
    pageInfo { hasNextPage endCursor } } }`, { after })
}

// ------------------------------------------------------------------ verifying (signed out too)

const VERIFY = `mutation($token: String!) { verifyLicensePresentation(token: $token) {
  valid reason reasonCode issuedBy licenseType identifier status statusLabel
  disclosedFields { key label value } presentedAt expiresAt offline } }`

async function anonymousPost(document, variables) {
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => { timedOut = true; controller.abort() }, TIMEOUT_MS)
  let response
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: { Accept: 'application/graphql-response+json, application/json', 'Content-Type': 'application/json' },
      body: JSON.stringify({ query: document.replace(/\s+/g, ' ').trim(), variables }),
      cache: 'no-store',
      signal: controller.signal,
    })
  } catch {
    reportNetworkFailure()
    throw new ApiError(timedOut ? MESSAGES.timeout : MESSAGES.offline, { kind: timedOut ? 'timeout' : 'offline' })
  } finally {
    clearTimeout(timer)
  }
  reportNetworkSuccess()
  const body = await response.json().catch(() => null)
  if (!body?.data || body.errors?.length) {
    const text = body?.errors?.[0]?.message
    const server = response.status >= 500 || !body
    throw new ApiError(typeof text === 'string' && HAS_CHINESE.test(text) ? text : (server ? MESSAGES.server : MESSAGES.request),
      { kind: server ? 'server' : 'request' })
  }
  return body.data
}

/** The server's verdict on a presentation token. A signed-in verifier is named in the holder's 核验记录. */
export async function verifyPresentation(token) {
  const data = accessToken() ? await authedQuery(VERIFY, { token }) : await anonymousPost(VERIFY, { token })
  return data.verifyLicensePresentation
}

/** The app's published signing keys (JWK set), for checking a presentation without the server. */
export async function fetchSigningKeys() {
  let response
  try {
    response = await fetch('/.well-known/jwks.json', { headers: { Accept: 'application/json' }, cache: 'no-cache' })
  } catch {
    throw new ApiError(MESSAGES.offline, { kind: 'offline' })
  }
  const body = await response.json().catch(() => null)
  if (!response.ok || !Array.isArray(body?.keys)) throw new ApiError(MESSAGES.server, { kind: 'server' })
  return body.keys
}

// ---------------------------------------------------------------- the issuing department (staff)

/** 证照管理: the licenses the staff member's department issued, newest first → LicenseConnection. */
export async function issuedLicenses(after = null) {
  const data = await authedQuery(`query($after: String) { issuedLicenses(first: 20, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${LICENSE} nextStatuses } } } }`, { after })
  return data.issuedLicenses
}

/** → { ok: true, license } | { ok: false, message, field } */
export async function changeLicenseStatus(licenseId, status, reason) {
  const data = await authedQuery(`mutation($id: ID!, $status: LicenseStatus!, $reason: String!) {
    changeLicenseStatus(licenseId: $id, status: $status, reason: $reason) {
      __typename ... on LicenseStatusChanged { license { ${LICENSE} nextStatuses } }
      ... on NotFoundError { message } ... on NotPermittedError { message } ... on InputError { field message } } }`,
  { id: licenseId, status, reason })
  const result = data.changeLicenseStatus
  if (result.__typename === 'LicenseStatusChanged') return { ok: true, license: result.license }
  return { ok: false, message: result.message || '操作失败，请稍后重试', field: result.field || null }
}
