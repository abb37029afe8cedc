export function visitsLabel(n) {
  return n === 0 ? '0 次（全程网办）' : `${n} 次`
}

export function daysLabel(n, kind) {
  if (kind === 'IMMEDIATE' || n === 0) return '即办（当场办结）'
  return `${n} 个工作日`
}

export const AUDIENCE_LABELS = { PERSON: '个人', ENTERPRISE: '企业', BOTH: '个人和企业' }
