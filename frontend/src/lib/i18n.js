// 中文 first, English second (issue 14). Messages live in src/locales/<language>/<area>.json, one
// file per area of the app, compiled at build time (@intlify/unplugin-vue-i18n), so the runtime
// carries no message compiler and the CSP needs no eval. Chinese is bundled with the shell;
// English is fetched only when someone picks it (or their browser asks for it), so the first
// load of the default language does not pay for the second.
//
// Keys are `<area>.<name>`: the file's name is the first segment. Components use `t()` from
// `useI18n()` or `$t` in templates; plain modules import `t` from here.
import { ref } from 'vue'
import { createI18n } from 'vue-i18n'
import { Locale } from 'vant'

export const LANGUAGES = [
  { code: 'zh-CN', name: '简体中文' },
  { code: 'en', name: 'English' },
]
const DEFAULT = 'zh-CN'
const KEY = 'zsb.lang'

function byArea(modules) {
  const messages = {}
  for (const [path, module] of Object.entries(modules)) {
    messages[path.split('/').pop().replace(/\.json$/, '')] = module.default ?? module
  }
  return messages
}

const zh = byArea(import.meta.glob('../locales/zh-CN/*.json', { eager: true }))

export const i18n = createI18n({
  legacy: false,
  globalInjection: true,
  locale: DEFAULT,
  fallbackLocale: DEFAULT,
  messages: { [DEFAULT]: zh },
  // A missing English key shows the Chinese (never a raw key); tests/test_i18n.py keeps both
  // languages complete, so this is only a safety net.
  missingWarn: false,
  fallbackWarn: false,
})

/** Plain modules (formatters, labels) translate with this; components prefer useI18n(). */
export const t = (...args) => i18n.global.t(...args)
export const te = (key) => i18n.global.te(key)
/** 'zh-CN' or 'en', reactive. */
export const language = ref(DEFAULT)
/** BCP 47 tag for Intl formatters. */
export const intlLocale = () => (language.value === 'en' ? 'en-GB' : 'zh-CN')

function stored() {
  try {
    const value = localStorage.getItem(KEY)
    return LANGUAGES.some((l) => l.code === value) ? value : null
  } catch {
    return null
  }
}

/** The device's choice, else the browser's first language (English when it starts with "en"). */
export function preferredLanguage() {
  const chosen = stored()
  if (chosen) return chosen
  const wanted = (navigator.languages?.length ? navigator.languages : [navigator.language || ''])[0] || ''
  return /^en\b/i.test(wanted) ? 'en' : DEFAULT
}

async function loadEnglish() {
  if (i18n.global.availableLocales.includes('en')) return
  const [{ default: english }, { default: vantEnglish }] = await Promise.all([
    import('../locales/english.js'), import('vant/es/locale/lang/en-US')])
  i18n.global.setLocaleMessage('en', byArea(english))
  Locale.add({ 'en-US': vantEnglish })
}

function apply(code) {
  i18n.global.locale.value = code
  language.value = code
  Locale.use(code === 'en' ? 'en-US' : 'zh-CN')
  document.documentElement.setAttribute('lang', code)
}

/** Switch the whole app; remembered on this device. */
export async function setLanguage(code, { remember = true } = {}) {
  if (!LANGUAGES.some((l) => l.code === code)) return
  if (code === 'en') await loadEnglish()
  apply(code)
  if (remember) {
    try { localStorage.setItem(KEY, code) } catch { /* kept for this visit only */ }
  }
}

/** Before mount: the remembered or the browser's language (English loads before the first paint
 *  that needs it, so nobody sees the app switch language under their eyes). */
export async function startLanguage() {
  const code = preferredLanguage()
  if (code !== DEFAULT) {
    try {
      await setLanguage(code, { remember: false })
    } catch {
      apply(DEFAULT) // offline before the English file was ever cached: Chinese, the default
    }
  }
}
