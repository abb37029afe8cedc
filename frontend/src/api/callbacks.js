// 帮办代办: ask a hall to call back, my requests, and the hall staff's queue (schema.graphql).
// Everything here is personal: signed in, POST, never cached (authedQuery).
import { MESSAGES, authedQuery, query } from './graphql.js'

const HAS_CHINESE = /[\u4e00-\u9fff]/
const MINE = 'id status statusLabel itemCode itemName phoneMasked note outcomeNote createdAt handledAt hall { id name phone }'
const QUEUED = 'id status statusLabel personName phone phoneMasked itemCode itemName note outcomeNote handledByName createdAt handledAt'
const FALLBACK = {
  CallbackPendingError: '你已有待回电的请求，请等待大厅回电',
  CallbackNotOpenError: '该请求已处理',
  InputError: '填写有误，请检查后重试',
  NotFoundError: '未找到相关内容',
}

function outcome(result, okType) {
  if (!result) return { ok: false, message: MESSAGES.server }
  if (result.__typename === okType) return { ok: true, ...result }
  const message = HAS_CHINESE.test(result.message || '') ? result.message : (FALLBACK[result.__typename] || MESSAGES.server)
  return { ok: false, type: result.__typename, code: result.code || null, message, field: result.field || null }
}

/** Where help comes from for a screen: the item (its guide's 咨询 text and its halls), or the case's or booking's item. */
export function helpItem(code) {
  return query(`query($code: String!) { serviceItem(code: $code) { code name
    halls { id name level phone } guide { consultation } } }`, { code })
}

export function caseItemCode(number) {
  return authedQuery('query($number: String!) { case(number: $number) { item { code } } }', { number })
}

export function bookingItemCode(number) {
  return authedQuery('query($number: String!) { booking(number: $number) { itemCode hall { id } } }', { number })
}

export function halls() {
  return query('{ serviceHalls { id name level phone } }')
}

export async function requestCallback(input) {
  const data = await authedQuery(`mutation($input: RequestCallbackInput!) { requestCallback(input: $input) {
    __typename ... on CallbackRequested { request { ${MINE} } }
    ... on CallbackPendingError { code message requestId } ... on InputError { code field message }
    ... on NotFoundError { code message } } }`, { input })
  return outcome(data.requestCallback, 'CallbackRequested')
}

export function myCallbackRequests() {
  return authedQuery(`{ myCallbackRequests { ${MINE} } }`)
}

export function hallCallbackRequests(hallId, status) {
  return authedQuery(`query($hallId: ID!, $status: CallbackStatus) { hallCallbackRequests(hallId: $hallId, status: $status) {
    ${QUEUED} } }`, { hallId, status })
}

export async function markCallbackDone(id, outcomeValue, note) {
  const data = await authedQuery(`mutation($id: ID!, $outcome: CallbackOutcome!, $note: String! = "") {
    markCallbackDone(id: $id, outcome: $outcome, note: $note) { __typename
      ... on CallbackMarked { request { ${QUEUED} } }
      ... on CallbackNotOpenError { code message status } ... on InputError { code field message }
      ... on NotFoundError { code message } } }`, { id, outcome: outcomeValue, note: note || '' })
  return outcome(data.markCallbackDone, 'CallbackMarked')
}
