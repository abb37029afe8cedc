export function visitsLabel(n) {
  return n === 0 ? '0 次（全程网办）' : `${n} 次`
}

// 承诺 / 法定 办结时限. 0 days on an 即办件 means it is finished on the spot.
export function promisedLabel(guide) {
  if (guide.promisedDays === 0) return guide.caseKind === 'IMMEDIATE' ? '即办（当场办结）' : '无承诺时限'
  return `承诺 ${guide.promisedDays} 个工作日`
}

export function statutoryLabel(guide) {
  if (guide.statutoryDays === 0) return guide.caseKind === 'IMMEDIATE' ? '即办（当场办结）' : '无法定时限'
  return `法定 ${guide.statutoryDays} 个工作日`
}

export const AUDIENCE_LABELS = { PERSON: '个人', ENTERPRISE: '企业', BOTH: '个人和企业' }

export const ITEM_TYPE_LABELS = {
  LICENSING: '行政许可',
  LEVY: '行政征收',
  BENEFIT: '行政给付',
  CONFIRMATION: '行政确认',
  AWARD: '行政奖励',
  ADJUDICATION: '行政裁决',
  OTHER_POWER: '其他行政权力',
  PUBLIC_SERVICE: '公共服务',
}

export const HALL_LEVEL_LABELS = { CITY: '市级大厅', DISTRICT: '区县大厅', CENTRE: '便民服务中心', STATION: '便民服务站' }

// A hyperlink only for what really is one; everything else stays text.
export function isHttpUrl(s) {
  return typeof s === 'string' && /^https?:\/\//i.test(s.trim())
}

// "无" and empty strings mean "nothing to show".
export function hasText(s) {
  return typeof s === 'string' && s.trim() !== '' && s.trim() !== '无'
}

export function telHref(phone) {
  return 'tel:' + String(phone).replace(/[^\d+]/g, '')
}

// Phone numbers inside a guide's 咨询 text (029-86786512, 12345 …): PhoneText links them.
export const PHONE_IN_TEXT = /(0\d{2,3}-?\d{7,8}|1[3-9]\d{9}|12345|12315|12348|12333)/g

/** "12345政务服务便民热线；市教育局…咨询电话029-86786512" → [{ label, number }]: the item's own lines
 *  first, the city's short hotlines after them. */
export function consultPhones(text) {
  const found = new Map()
  for (const part of String(text || '').split(/[；;\n]/)) {
    const label = part.replace(PHONE_IN_TEXT, '').replace(/[：:，,、\s]+$/, '').trim()
    for (const number of part.match(PHONE_IN_TEXT) || []) {
      if (!found.has(number)) found.set(number, { label: label || '咨询电话', number, hotline: /^\d{5}$/.test(number) })
    }
  }
  const all = [...found.values()]
  return [...all.filter((p) => !p.hotline), ...all.filter((p) => p.hotline)]
}

export function savedAtLabel(t) {
  return new Date(t).toLocaleString('zh-CN', { hour12: false, month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' })
}

// A calendar date from the server ("2025-03-05") read as a date, not as UTC midnight.
export function dateLabel(value) {
  if (!value) return '—'
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(value))
  if (m && String(value).length === 10) return `${m[1]}年${Number(m[2])}月${Number(m[3])}日`
  const d = new Date(value)
  return Number.isNaN(d.getTime()) ? '—' : `${d.getFullYear()}年${d.getMonth() + 1}月${d.getDate()}日`
}

export function dateTimeLabel(value) {
  if (!value) return '—'
  const d = new Date(value)
  if (Number.isNaN(d.getTime())) return '—'
  return d.toLocaleString('zh-CN', { hour12: false, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
}

export function fileSizeLabel(bytes) {
  if (!Number.isFinite(bytes)) return ''
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}
