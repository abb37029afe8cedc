// 好差评 and 差评整改 (docs/RATINGS.md). Signed-in calls go through authedQuery (POST, never
// cached); the rating scale is public.
import { MESSAGES, authedQuery } from './graphql.js'

const HAS_CHINESE = /[\u4e00-\u9fff]/
const ENTRY = 'action actionLabel state actorLabel note at'
export const TICKET = `id state stateLabel foundTrue finding rectification visitLevel visitNote awaitingSupervisor
  openedOn verifyDue rectifyDue visitDue verifiedOn rectifiedOn visitedOn closedOn dueOn overdue caseNumber itemName
  departmentName bookingNumber history { ${ENTRY} }`
const STAFF_TICKET = `${TICKET} personName rating { level levelLabel reasons { code label } comment createdAt }`
const RATING = `id level levelLabel reasons { code label } comment channel createdAt caseNumber bookingNumber
  ticket { ${TICKET} }`
const COMMON = '... on InputError { code field message } ... on NotPermittedError { code message } ... on NotFoundError { code message }'
const RATE_ERRORS = `... on AlreadyRatedError { code message } ... on InvalidTransitionError { code message status } ${COMMON}`
const VISIT_ERRORS = `... on AlreadyRatedError { code message } ... on BookingNotActiveError { code message status } ${COMMON}`
const TICKET_ERRORS = `... on TicketTransitionError { code message state } ${COMMON}`
const FALLBACK = {
  AlreadyRatedError: '您已评价过该办件',
  InvalidTransitionError: '办件有审批结果或已办结后才能评价',
  TicketTransitionError: '工单状态已变化，请刷新后查看',
  InputError: '填写有误，请检查后重试',
  NotPermittedError: '您无权进行此操作',
  NotFoundError: '未找到该办件或工单',
  BookingNotActiveError: '到厅签到后才能评价本次服务',
}

function outcome(result, okType, key) {
  if (result?.__typename === okType) return { ok: true, [key]: result[key] }
  if (!result) return { ok: false, message: MESSAGES.server }
  const message = HAS_CHINESE.test(result.message || '') ? result.message : (FALLBACK[result.__typename] || MESSAGES.server)
  return { ok: false, type: result.__typename, code: result.code || null, field: result.field || null, message }
}

// ---------------------------------------------------------------- the person

let levelsOnce = null
/** The five levels with their reason chips (asked once per page load). */
export function ratingLevels() {
  levelsOnce ||= authedQuery('{ ratingLevels { level label reasons { code label } } }')
    .then((d) => d.ratingLevels).catch((e) => { levelsOnce = null; throw e })
  return levelsOnce
}

export async function myRating(caseNumber) {
  return (await authedQuery(`query($n: String!) { myRating(caseNumber: $n) { ${RATING} } }`, { n: caseNumber })).myRating
}

export async function rateCase({ caseNumber, level, reasons = [], comment = null }) {
  const data = await authedQuery(`mutation($input: RateCaseInput!) { rateCase(input: $input) { __typename
    ... on CaseRated { rating { ${RATING} } } ${RATE_ERRORS} } }`, { input: { caseNumber, level, reasons, comment } })
  return outcome(data.rateCase, 'CaseRated', 'rating')
}

/** 到厅服务评价: the viewer's rating of a checked-in booking (null: not yet). */
export async function myVisitRating(bookingNumber) {
  return (await authedQuery(`query($n: String!) { myVisitRating(bookingNumber: $n) { ${RATING} } }`,
    { n: bookingNumber })).myVisitRating
}

export async function rateVisit({ bookingNumber, level, reasons = [], comment = null }) {
  const data = await authedQuery(`mutation($input: RateVisitInput!) { rateVisit(input: $input) { __typename
    ... on VisitRated { rating { ${RATING} } } ${VISIT_ERRORS} } }`, { input: { bookingNumber, level, reasons, comment } })
  return outcome(data.rateVisit, 'VisitRated', 'rating')
}

/** A case or a hall visit, whichever the target names. */
export function rate({ caseNumber, bookingNumber, ...rest }) {
  return bookingNumber ? rateVisit({ bookingNumber, ...rest }) : rateCase({ caseNumber, ...rest })
}

export function ratingOf({ caseNumber, bookingNumber }) {
  return bookingNumber ? myVisitRating(bookingNumber) : myRating(caseNumber)
}

export async function answerReturnVisit(ticketId, level) {
  const data = await authedQuery(`mutation($id: ID!, $level: RatingLevel!) { answerReturnVisit(ticketId: $id, level: $level) {
    __typename ... on TicketUpdated { ticket { ${TICKET} } } ${TICKET_ERRORS} } }`, { id: ticketId, level })
  return outcome(data.answerReturnVisit, 'TicketUpdated', 'ticket')
}

// ---------------------------------------------------------------- staff and supervisors

export async function rectificationTickets(filter = {}) {
  const data = await authedQuery(`query($f: TicketFilterInput) { rectificationTickets(filter: $f, first: 100) {
    ${STAFF_TICKET} } }`, { f: filter })
  return data.rectificationTickets
}

export async function rectificationTicket(id) {
  const data = await authedQuery(`query($id: ID!) { rectificationTicket(id: $id) { ${STAFF_TICKET} } }`, { id })
  return data.rectificationTicket
}

async function ticketMutation(name, params, call, variables) {
  const data = await authedQuery(`mutation($id: ID!${params}) { ${name}(ticketId: $id${call}) { __typename
    ... on TicketUpdated { ticket { ${STAFF_TICKET} } } ${TICKET_ERRORS} } }`, variables)
  return outcome(data[name], 'TicketUpdated', 'ticket')
}

export const verifyRating = (id, foundTrue, finding) => ticketMutation('verifyRating',
  ', $t: Boolean!, $f: String!', ', foundTrue: $t, finding: $f', { id, t: foundTrue, f: finding })
export const recordRectification = (id, text) => ticketMutation('recordRectification',
  ', $r: String!', ', rectification: $r', { id, r: text })
export const recordReturnVisit = (id, level, note) => ticketMutation('recordReturnVisit',
  ', $l: RatingLevel!, $n: String', ', level: $l, note: $n', { id, l: level, n: note })
export const confirmRatingTicket = (id, agree, note) => ticketMutation('confirmRatingTicket',
  ', $a: Boolean!, $n: String', ', agree: $a, note: $n', { id, a: agree, n: note })

const RATE = 'numerator denominator rate'
const ROW = `kind code name departmentCode ratings satisfied bad tickets satisfaction { ${RATE} }
  verifiedOnTime { ${RATE} } rectifiedOnTime { ${RATE} } visitedOnTime { ${RATE} }`

export async function ratingReport({ from, to, departmentCode = null }) {
  const data = await authedQuery(`query($from: Date!, $to: Date!, $d: String) {
    ratingReport(from: $from, to: $to, departmentCode: $d) { from to total { ${ROW} } departments { ${ROW} }
      items { ${ROW} } halls { ${ROW} } } }`, { from, to, d: departmentCode })
  return data.ratingReport
}

/** 0.8333… → "83.3%"; null → "—" (nothing to judge yet). */
export function percent(rate) {
  return rate === null || rate === undefined ? '—' : `${(Math.round(rate * 1000) / 10).toFixed(1)}%`
}
