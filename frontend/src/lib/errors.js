// A typed error from the API (`{ __typename, code, message, field? }`), in the person's language.
// The server words its messages in Chinese, the official language of the record; in Chinese we
// show them as they are. In English we show the message for the error's code: the area's own
// (`<area>.errors.<CODE>`, e.g. a booking's SLOT_FULL) or the general one (`common.errors.<CODE>`).
import { language, t, te } from './i18n.js'

export function errorText(result, area) {
  if (!result) return t('common.failedTryLater')
  if (language.value === 'zh-CN' && result.message) return result.message
  const code = result.code || 'UNKNOWN'
  if (area && te(`${area}.errors.${code}`)) return t(`${area}.errors.${code}`)
  if (te(`common.errors.${code}`)) return t(`common.errors.${code}`)
  return result.message || t('common.failedTryLater')
}
