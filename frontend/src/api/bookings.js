// Booking (预约) at service halls (docs/BOOKINGS.md, schema.graphql). Halls and slots are public
// (GET, never cached: places left change); everything personal is signed in (authedQuery).
import { MESSAGES, authedQuery, query } from './graphql.js'
import { accessToken } from '../lib/auth.js'
import { reportNetworkFailure, reportNetworkSuccess } from '../lib/network.js'

const HALL = 'hall { id name address phone district }'
export const BOOKING = `number status statusLabel itemCode itemName date startTime endTime startsAt endsAt window
  enterpriseName enterpriseUscc caseNumber cancelReason checkedInAt icsUrl ${HALL}`
const MATERIALS = 'materials { name materialType copies required onFile licenseName }'
const HAS_CHINESE = /[\u4e00-\u9fff]/

const ERRORS = `
  ... on SlotFullError { code message }
  ... on BookingLimitError { code message limit }
  ... on BookingSuspendedError { code message until }
  ... on BookingCutoffError { code message }
  ... on InputError { code field message }
  ... on NotPermittedError { code message }
  ... on NotFoundError { code message }`

const FALLBACK = {
  SlotFullError: '该时段已约满，请选择其他时段',
  BookingLimitError: '已达到预约次数上限',
  BookingSuspendedError: '网上预约已暂停',
  BookingCutoffError: '已过截止时间',
  BookingNotActiveError: '该预约已不能更改',
  CheckInRefusedError: '签到码无效',
  InputError: '填写有误，请检查后重试',
  NotPermittedError: '您无权进行此操作',
  NotFoundError: '预约不存在',
}

/** A mutation's union → { ok, booking, message, type, ... } */
export function outcome(result, okType) {
  if (!result) return { ok: false, message: MESSAGES.server }
  if (result.__typename === okType) return { ok: true, ...result }
  const message = HAS_CHINESE.test(result.message || '') ? result.message : (FALLBACK[result.__typename] || MESSAGES.server)
  return { ok: false, type: result.__typename, code: result.code || null, message, field: result.field || null,
    until: result.until || null, reason: result.reason || null }
}

export function bookableHalls(itemCode) {
  return query(`query($itemCode: String!) { bookableHalls(itemCode: $itemCode) {
    ${HALL} window slotMinutes capacity
    hours { openAt closeAt lunchStart lunchEnd eveningWeekdays eveningCloseAt weekendDays weekendOpenAt weekendCloseAt } } }`,
  { itemCode })
}

export function hallSlots(hallId, itemCode, from, to) {
  return query(`query($hallId: ID!, $itemCode: String!, $from: Date!, $to: Date!) {
    hallSlots(hallId: $hallId, itemCode: $itemCode, from: $from, to: $to) {
      id date startTime endTime capacity placesLeft kind open } }`, { hallId, itemCode, from, to })
}

export async function bookSlot(input) {
  const data = await authedQuery(`mutation($input: BookSlotInput!) { bookSlot(input: $input) {
    __typename ... on BookingConfirmed { booking { ${BOOKING} } } ${ERRORS} } }`, { input })
  return outcome(data.bookSlot, 'BookingConfirmed')
}

export async function cancelBooking(number) {
  const data = await authedQuery(`mutation($number: String!) { cancelBooking(number: $number) {
    __typename ... on BookingCancelled { booking { ${BOOKING} } }
    ... on BookingNotActiveError { code message status } ... on BookingCutoffError { code message }
    ... on NotFoundError { code message } } }`, { number })
  return outcome(data.cancelBooking, 'BookingCancelled')
}

export function booking(number) {
  return authedQuery(`query($number: String!) { booking(number: $number) { ${BOOKING} ${MATERIALS} } }`, { number })
}

export function myBookings(after) {
  return authedQuery(`query($after: String) { myBookings(first: 20, after: $after) {
    totalCount edges { cursor node { ${BOOKING} } } pageInfo { hasNextPage endCursor } } }`, { after })
}

export async function checkInCode(number) {
  return (await authedQuery(`query($number: String!) { bookingCheckInCode(number: $number) { token qrSvg expiresAt } }`,
    { number })).bookingCheckInCode
}

export function enterpriseBookings(uscc) {
  return authedQuery(`query($uscc: String!) { enterprise(uscc: $uscc) { bookings { ${BOOKING} } } }`, { uscc })
}

// ---------------------------------------------------------------- staff

export function hallBookings(hallId, date) {
  return authedQuery(`query($hallId: ID!, $date: Date) { hallBookings(hallId: $hallId, date: $date) {
    number status statusLabel personName enterpriseName itemCode itemName startTime endTime checkedInAt } }`,
  { hallId, date })
}

export async function checkInBooking(code) {
  const data = await authedQuery(`mutation($code: String!) { checkInBooking(code: $code) {
    __typename ... on BookingCheckedIn { booking { number status statusLabel personName itemName startTime } }
    ... on CheckInRefusedError { code message reason } ... on NotPermittedError { code message }
    ... on InputError { code field message } } }`, { code })
  return outcome(data.checkInBooking, 'BookingCheckedIn')
}

export async function closeHall(input) {
  const data = await authedQuery(`mutation($input: CloseHallInput!) { closeHall(input: $input) {
    __typename ... on HallClosed { date reason cancelledCount }
    ... on InputError { code field message } ... on NotPermittedError { code message }
    ... on NotFoundError { code message } } }`, { input })
  return outcome(data.closeHall, 'HallClosed')
}

/** The .ics file (signed in: fetched with the token, then saved by the browser). */
export async function downloadIcs(item) {
  let response
  try {
    response = await fetch(item.icsUrl, { headers: { Authorization: `Bearer ${accessToken()}` }, cache: 'no-store' })
  } catch {
    reportNetworkFailure()
    throw new Error(MESSAGES.offline)
  }
  reportNetworkSuccess()
  if (!response.ok) throw new Error(response.status === 404 ? '预约不存在' : MESSAGES.server)
  const url = URL.createObjectURL(await response.blob())
  const link = document.createElement('a')
  link.href = url
  link.download = `预约-${item.number}.ics`
  document.body.appendChild(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10000)
}

export function serviceHalls() {
  return query('{ serviceHalls { id name } }')
}
