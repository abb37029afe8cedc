// 长辈模式 (elder mode): a profile of the whole app, not a font slider. Chosen on first launch or in
// 我的; kept on the device (localStorage `zsb.elder` = "1" / "0") and, when signed in, on the
// account. <html data-mode="elder"> switches the styles; public/elder-boot.js sets it before the
// first paint, this module keeps it in step afterwards.
import { computed, ref, watch } from 'vue'
import { showConfirmDialog, showToast } from 'vant'
import { setAccountElderMode } from '../api/identity.js'
import { signedIn } from './auth.js'
import { loadProfile } from './profile.js'

const KEY = 'zsb.elder'

function readDevice() {
  try {
    const value = localStorage.getItem(KEY)
    return value === '1' ? true : value === '0' ? false : null
  } catch {
    return null // storage blocked: never chosen, the standard mode
  }
}

/** The device's choice: true / false, or null when never chosen here (first launch). */
export const elderChoice = ref(readDevice())
export const elderMode = computed(() => elderChoice.value === true)

function apply(on) {
  if (on) document.documentElement.setAttribute('data-mode', 'elder')
  else document.documentElement.removeAttribute('data-mode')
}

function keepOnDevice(on) {
  elderChoice.value = on
  try { localStorage.setItem(KEY, on ? '1' : '0') } catch { /* kept for this visit only */ }
  apply(on)
}

/** The person's choice (first launch or 我的): on this device and, signed in, on the account. */
export async function chooseElderMode(on) {
  keepOnDevice(on)
  if (!signedIn.value) return
  try {
    const result = (await setAccountElderMode(on)).setElderMode
    if (result.__typename !== 'ElderModeSet') showToast(result.message)
  } catch (e) {
    showToast(e?.message || '已在本机保存，账号同步失败')
  }
}

// While the account is asked, the first-launch choice waits: its answer may make it needless.
const askingAccount = ref(false)

/** On sign-in the account's choice applies when this device has none. Called once by App.vue. */
export function startElderMode() {
  apply(elderMode.value)
  // Another tab of the app switched it: this one follows.
  window.addEventListener('storage', (event) => {
    if (event.key === KEY || event.key === null) { elderChoice.value = readDevice(); apply(elderMode.value) }
  })
  watch(signedIn, async (yes) => {
    if (!yes || elderChoice.value !== null) return
    askingAccount.value = true
    try {
      const account = (await loadProfile()).elderMode
      if (account !== null && account !== undefined && elderChoice.value === null) keepOnDevice(account)
    } catch { /* offline: the first-launch choice asks */ } finally {
      askingAccount.value = false
    }
  }, { immediate: true })
}

/** The first-launch choice (标准模式 / 长辈模式) is due: never chosen here, nor on the account. */
export const firstLaunch = computed(() => elderChoice.value === null && !askingAccount.value)

/** In elder mode, ask before anything that cannot be undone; true: go ahead. Screens that always
 *  ask (撤回申请, 取消预约) do not need it. */
export async function confirmIfElder({ title, message, confirmButtonText = '确定' }) {
  if (!elderMode.value) return true
  try {
    await showConfirmDialog({ title, message, confirmButtonText, cancelButtonText: '再想想' })
    return true
  } catch {
    return false
  }
}
