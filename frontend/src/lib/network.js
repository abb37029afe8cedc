import { ref } from 'vue'

// Online as far as we know: the browser's flag, corrected by what our own requests saw
// (navigator.onLine says "online" on a network that reaches nothing).
export const online = ref(typeof navigator === 'undefined' ? true : navigator.onLine)

const reconnectListeners = new Set()

function wentOnline() {
  const was = online.value
  online.value = true
  if (!was) reconnectListeners.forEach((fn) => fn())
}

window.addEventListener('online', wentOnline)
window.addEventListener('offline', () => { online.value = false })

export function reportNetworkFailure() { online.value = false }
export function reportNetworkSuccess() { if (navigator.onLine) wentOnline() }

// Screens showing a saved copy (or a failure) refresh themselves when the network returns.
export function onReconnect(fn) {
  reconnectListeners.add(fn)
  return () => reconnectListeners.delete(fn)
}
