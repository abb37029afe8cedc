// Who is signed in (me: name, roles, enterprises), asked once per token and shared by screens.
import { computed, ref, watch } from 'vue'
import { me } from '../api/identity.js'
import { session, signedIn } from './auth.js'

let pending = null

export function loadProfile() {
  if (!pending) {
    pending = me().then((d) => d.me).catch((e) => { pending = null; throw e })
  }
  return pending
}

watch(() => session.value?.token, () => { pending = null })

export const hasRole = (profile, ...roles) => !!profile?.roles?.some((r) => roles.includes(r))

/** For screens of a role (STAFF, SUPERVISOR): who is signed in and whether they may be here. */
export function useRoleGate(...roles) {
  const profile = ref(null)
  const checking = ref(true)
  const error = ref('')

  async function check() {
    error.value = ''
    if (!signedIn.value) { profile.value = null; checking.value = false; return }
    checking.value = true
    try {
      profile.value = await loadProfile()
    } catch (e) {
      error.value = e?.message || '身份信息加载失败'
    } finally {
      checking.value = false
    }
  }
  check()
  watch(signedIn, check)
  const allowed = computed(() => hasRole(profile.value, ...roles))
  return { profile, checking, error, allowed, check }
}
