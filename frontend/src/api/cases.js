// Cases: applying, following a case, the staff console and supervision (docs/CASES.md,
// schema.graphql). Every call is signed in (authedQuery: POST with the token, never cached).
import { ApiError, MESSAGES, authedQuery } from './graphql.js'
import { accessToken, signOut } from '../lib/auth.js'
import { reportNetworkFailure, reportNetworkSuccess } from '../lib/network.js'

export const PAGE_SIZE = 20

const ITEM = 'item { code name department { id name } }'
const CASE_SUMMARY = `id number status statusLabel submittedAt applicantName enterprise { uscc name } ${ITEM}
  deadline { promisedDue workingDaysLeft paused dueSoon overdue }`
const MATERIAL = `materialId name required provision outstanding licenseName
  files { id filename contentType size url } fields { name value }`
export const EVENT = 'id cursor caseNumber itemName kind kindLabel status statusLabel at note actorLabel'
const CASE_FULL = `id number status statusLabel applicantName enterprise { uscc name } ${ITEM}
  submittedAt acceptedAt completedAt
  materials { ${MATERIAL} } outstandingMaterials { ${MATERIAL} }
  supplementDeadline deficiencyPromise supplementNote
  events { ${EVENT} }
  deadline { promisedDays statutoryDays promisedDue statutoryDue workingDaysUsed workingDaysLeft paused dueSoon overdue }
  acceptanceNotice { number }
  decisionReason overdueReason delivery { method methodLabel trackingNumber deliveredAt }
  allowedActions`
const PAGE = (fields) => `totalCount edges { cursor node { ${fields} } } pageInfo { hasNextPage endCursor }`

// The error members of the result unions, with the fields people need to read. A fragment on
// a type outside the union does not validate, so each union gets exactly its members.
const COMMON_ERRORS = `
  ... on InputError { code field message }
  ... on NotPermittedError { code message }
  ... on NotFoundError { code message }`
const MISSING = '... on MaterialsMissingError { code message missing { materialId name deficiencyAllowed } }'
const SUBMIT_ERRORS = `${MISSING} ... on ItemNotOnlineError { code message } ${COMMON_ERRORS}`
const CASE_ERRORS = `... on InvalidTransitionError { code message status } ${COMMON_ERRORS}`
// supplementMaterials also answers MaterialsMissingError (schema.graphql; CASES.md omits it).
const SUPPLEMENT_ERRORS = `${MISSING} ${CASE_ERRORS}`

// ---------------------------------------------------------------- results

const FALLBACK = {
  MaterialsMissingError: '尚有必要材料未提供',
  ItemNotOnlineError: '该事项暂不支持网上办理，请到窗口办理',
  InvalidTransitionError: '办件当前状态不能进行此操作，请刷新后查看最新状态',
  InputError: '填写有误，请检查后重试',
  NotPermittedError: '您无权进行此操作',
  NotFoundError: '未找到该办件，可能已撤回或无权查看',
}
const HAS_CHINESE = /[\u4e00-\u9fff]/

/**
 * A mutation's union result → { ok, case, message, missing, field, code }.
 * The server's messages are written in Chinese for people; a fallback covers anything else.
 */
export function outcome(result) {
  if (!result) return { ok: false, message: MESSAGES.server }
  if (result.__typename === 'ApplicationSubmitted' || result.__typename === 'CaseUpdated') {
    return { ok: true, case: result.case }
  }
  const message = HAS_CHINESE.test(result.message || '') ? result.message : (FALLBACK[result.__typename] || MESSAGES.server)
  return {
    ok: false,
    type: result.__typename,
    code: result.code || null,
    message,
    field: result.field || null,
    missing: result.missing || [],
    status: result.status || null,
  }
}

// ---------------------------------------------------------------- applying

export function applicationForm(itemCode, enterpriseUscc) {
  return authedQuery(`query($itemCode: String!, $enterpriseUscc: String) {
    applicationForm(itemCode: $itemCode, enterpriseUscc: $enterpriseUscc) {
      online item { code name itemType department { id name } guide { promisedDays } }
      materials { materialId name required deficiencyAllowed onFile licenseName acceptsFields specification } } }`,
  { itemCode, enterpriseUscc })
}

export async function submitApplication(input) {
  const data = await authedQuery(`mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) {
    __typename ... on ApplicationSubmitted { case { ${CASE_SUMMARY} } } ${SUBMIT_ERRORS} } }`, { input })
  return outcome(data.submitApplication)
}

// ---------------------------------------------------------------- following a case

export function myCases({ after, status, first = PAGE_SIZE } = {}) {
  return authedQuery(`query($first: Int!, $after: String, $status: [CaseStatus!]) {
    myCases(first: $first, after: $after, status: $status) { ${PAGE(CASE_SUMMARY)} } }`, { first, after, status })
}

export function caseDetail(number) {
  return authedQuery(`query($number: String!) { case(number: $number) { ${CASE_FULL} } }`, { number })
}

export function acceptanceNotice(number) {
  return authedQuery(`query($number: String!) { case(number: $number) { number status statusLabel
    acceptanceNotice { number caseNumber itemName applicantName department acceptedOn promisedDays promisedDue } } }`,
  { number })
}

export function enterpriseCases(uscc, after) {
  return authedQuery(`query($uscc: String!, $after: String) { enterprise(uscc: $uscc) {
    cases(first: ${PAGE_SIZE}, after: $after) { ${PAGE(CASE_SUMMARY)} } } }`, { uscc, after })
}

// One case mutation: `params` declares the variables, `call` passes them to the field.
async function mutate(name, params, call, variables, errors = CASE_ERRORS) {
  const data = await authedQuery(`mutation(${params}) { ${name}${call} {
    __typename ... on CaseUpdated { case { ${CASE_FULL} } } ${errors} } }`, variables)
  return outcome(data[name])
}

export const supplementMaterials = (number, materials) => mutate('supplementMaterials',
  '$number: String!, $materials: [MaterialInput!]!', '(number: $number, materials: $materials)', { number, materials },
  SUPPLEMENT_ERRORS)
export const withdrawCase = (number, reason) => mutate('withdrawCase',
  '$number: String!, $reason: String', '(number: $number, reason: $reason)', { number, reason })

// ---------------------------------------------------------------- staff

export function staffCases({ status, after, first = PAGE_SIZE } = {}) {
  return authedQuery(`query($first: Int!, $after: String, $status: [CaseStatus!]) {
    staffCases(first: $first, after: $after, status: $status) { ${PAGE(CASE_SUMMARY)} } }`, { first, after, status })
}

export function supervision() {
  return authedQuery(`{ supervision { dueSoon overdue ticketsOpen ticketsOverdue departments { department { id name } dueSoon overdue
    ticketsOpen ticketsOverdue
    cases { number statusLabel status applicantName item { code name }
      deadline { promisedDue workingDaysLeft paused dueSoon overdue } } } } }`)
}

export const acceptCase = (number, note) => mutate('acceptCase',
  '$number: String!, $note: String', '(number: $number, note: $note)', { number, note })
export const requestSupplement = (number, materialIds, note) => mutate('requestSupplement',
  '$number: String!, $materialIds: [ID!]!, $note: String!', '(number: $number, materialIds: $materialIds, note: $note)',
  { number, materialIds, note })
export const startReview = (number) => mutate('startReview', '$number: String!', '(number: $number)', { number })
export const approveCase = (number, note) => mutate('approveCase',
  '$number: String!, $note: String', '(number: $number, note: $note)', { number, note })
export const rejectCase = (number, reason) => mutate('rejectCase',
  '$number: String!, $reason: String!', '(number: $number, reason: $reason)', { number, reason })
export const deliverCase = (number, method, trackingNumber) => mutate('deliverCase',
  '$number: String!, $method: DeliveryMethod!, $trackingNumber: String',
  '(number: $number, method: $method, trackingNumber: $trackingNumber)', { number, method, trackingNumber })
export const explainOverdue = (number, reason) => mutate('explainOverdue',
  '$number: String!, $reason: String!', '(number: $number, reason: $reason)', { number, reason })

// ---------------------------------------------------------------- live progress

export const CASE_PROGRESS = `subscription($after: String, $caseNumber: String) {
  caseProgress(after: $after, caseNumber: $caseNumber) { ${EVENT} } }`

// ---------------------------------------------------------------- files (outside GraphQL)

export const UPLOAD_MESSAGES = {
  401: '登录已失效，请重新登录后再上传',
  413: '文件太大，请压缩后（不超过 10MB）重新上传',
  415: '仅支持 PDF、JPG、PNG、WebP 格式的文件',
  400: '文件内容为空，请重新选择',
}

async function errorOf(response) {
  const body = await response.json().catch(() => null)
  const text = body?.error?.message
  if (typeof text === 'string' && HAS_CHINESE.test(text)) return text
  return UPLOAD_MESSAGES[response.status] || (response.status >= 500 ? MESSAGES.server : '上传失败，请重试')
}

/** uploadFile(file) → { id, filename, contentType, size, sha256 }; throws ApiError in Chinese. */
export async function uploadFile(file, { signal } = {}) {
  const token = accessToken()
  if (!token) throw new ApiError('请先登录', { kind: 'graphql', code: 'NOT_AUTHENTICATED' })
  const name = file.name || '材料'
  let response
  try {
    response = await fetch(`/uploads?filename=${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': file.type || 'application/octet-stream' },
      body: file,
      cache: 'no-store',
      signal,
    })
  } catch {
    if (signal?.aborted) throw new ApiError('已取消', { kind: 'aborted' })
    reportNetworkFailure()
    throw new ApiError(MESSAGES.offline, { kind: 'offline' })
  }
  reportNetworkSuccess()
  if (response.status === 201 || response.ok) return response.json()
  const message = await errorOf(response)
  if (response.status === 401) signOut()
  throw new ApiError(message, { kind: response.status >= 500 ? 'server' : 'request',
    code: response.status === 401 ? 'NOT_AUTHENTICATED' : String(response.status) })
}

/** A file attached to a case, fetched with the token, as an object URL (revoke it when done). */
export async function fileObjectUrl(id) {
  const token = accessToken()
  if (!token) throw new ApiError('请先登录', { kind: 'graphql', code: 'NOT_AUTHENTICATED' })
  let response
  try {
    response = await fetch(`/uploads/${encodeURIComponent(id)}`, {
      headers: { Authorization: `Bearer ${token}` }, cache: 'no-store',
    })
  } catch {
    throw new ApiError(MESSAGES.offline, { kind: 'offline' })
  }
  if (!response.ok) {
    throw new ApiError(response.status === 404 || response.status === 403 ? '文件不存在或无权查看' : await errorOf(response),
      { kind: 'request' })
  }
  return URL.createObjectURL(await response.blob())
}
