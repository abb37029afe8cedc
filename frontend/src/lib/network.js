import { ref } from 'vue'

// Online as far as we know: the browser's flag, corrected by what our own requests saw.
export const online = ref(typeof navigator === 'undefined' ? true : navigator.onLine)

window.addEventListener('online', () => { online.value = true })
window.addEventListener('offline', () => { online.value = false })

export function reportNetworkFailure() { online.value = false }
export function reportNetworkSuccess() { if (navigator.onLine) online.value = true }
