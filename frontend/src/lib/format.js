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

export function savedAtLabel(t) {
  return new Date(t).toLocaleString('zh-CN', { hour12: false, month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' })
}
