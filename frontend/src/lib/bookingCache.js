// The person's booking confirmations kept on this device (IndexedDB, per signed-in person), like
// e-licenses (licenseCache.js): 我的预约 and a confirmation with its last check-in QR still open
// without a network. The QR is short-lived; offline it is shown with a note to refresh it.
import { currentSubject } from './auth.js'
import { load, save } from './store.js'

const MAX_KEPT = 20
const plain = (value) => JSON.parse(JSON.stringify(value))

function key() {
  const subject = currentSubject()
  return subject ? `bookings:${subject}` : null
}

/** { bookings: { [number]: { booking, code, savedAt } } } */
async function all() {
  const k = key()
  return (k && (await load(k))) || { bookings: {} }
}

export async function cachedBooking(number) {
  return (await all()).bookings[number] || null
}

export async function cachedBookings() {
  return Object.values((await all()).bookings).map((e) => e.booking)
    .sort((a, b) => String(b.startsAt).localeCompare(String(a.startsAt)))
}

export async function keepBooking(booking, code = undefined) {
  const k = key()
  if (!k || !booking) return
  const saved = await all()
  const before = saved.bookings[booking.number]
  saved.bookings[booking.number] = { booking: plain(booking), code: code === undefined ? before?.code || null : plain(code),
    savedAt: Date.now() }
  const numbers = Object.keys(saved.bookings)
    .sort((a, b) => saved.bookings[b].savedAt - saved.bookings[a].savedAt)
  for (const old of numbers.slice(MAX_KEPT)) delete saved.bookings[old]
  await save(k, saved)
}
