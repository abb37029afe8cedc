// How a license looks: its status colour, its card's style per template, its validity line,
// and which fields a presentation token discloses.
import { dateLabel } from '../../lib/format.js'

const STATUS_COLOURS = {
  VALID: ['#e6f7f1', '#08704f'],
  SUSPENDED: ['#fff1e6', '#a84f00'],
  REVOKED: ['#fdecee', '#cf2e3f'],
  CANCELLED: ['#eef1f5', '#4e5969'],
  EXPIRED: ['#eef1f5', '#5c6470'],
  VOIDED: ['#eef1f5', '#5c6470'],
}

export const STATUS_LABELS = { VALID: '有效', SUSPENDED: '已暂扣', REVOKED: '已吊销', CANCELLED: '已注销', EXPIRED: '已过期', VOIDED: '已作废' }

// What the issuing department does to move a license to a status (changeLicenseStatus).
export const CHANGE_LABELS = { VALID: '恢复正常', SUSPENDED: '暂扣', REVOKED: '吊销', CANCELLED: '注销', VOIDED: '作废' }

export function statusColours(status) {
  const [background, color] = STATUS_COLOURS[status] || STATUS_COLOURS.CANCELLED
  return { background, color }
}

// Card styles by template (License.template, backend/services/licenses/kinds.py): a colour
// family and the character on the card's seal. An unknown template gets the generic card.
const TEMPLATES = {
  'resident-id': ['identity', '身'],
  'household-register': ['identity', '户'],
  'residence-permit': ['identity', '居'],
  'social-security-card': ['identity', '社'],
  'marriage-certificate': ['marriage', '婚'],
  'birth-certificate': ['marriage', '生'],
  'driving-license': ['driving', '驾'],
  'teacher-qualification': ['qualification', '师'],
  'academic-certificate': ['qualification', '学'],
  'putonghua-certificate': ['qualification', '普'],
  'legal-qualification': ['qualification', '法'],
  'security-guard-certificate': ['qualification', '保'],
  qualification: ['qualification', '资'],
  'disability-certificate': ['generic', '残'],
  'retirement-certificate': ['generic', '退'],
  'property-certificate': ['permit', '产'],
  'business-license': ['business', '照'],
  permit: ['permit', '许'],
}

export function cardTheme(template) {
  const [theme, emblem] = TEMPLATES[template] || ['generic', '证']
  return { theme, emblem }
}

export function validityLabel(license) {
  const from = dateLabel(license.validFrom)
  return license.validUntil ? `${from} 至 ${dateLabel(license.validUntil)}` : `${from} 起长期有效`
}

// The fields a presentation token carries. The token is the server's (a compact JWS); its claims
// are read here only to show on screen what the QR discloses, never trusted.
const FIELD_CLAIMS = /^(fields|disclosed|disclose|disclosedFields|claims|f|d)$/i

export function disclosedKeysIn(payload, fieldKeys) {
  const known = new Set(fieldKeys)
  const seen = new Set()
  function look(value, name, depth) {
    if (!value || typeof value !== 'object' || depth > 3 || seen.has(value)) return null
    seen.add(value)
    if (Array.isArray(value)) {
      if (!value.length) return FIELD_CLAIMS.test(name) ? [] : null
      const keys = value.map((x) => (typeof x === 'string' ? x : x && typeof x === 'object' ? (x.key ?? x.k) : null))
      if (keys.every((k) => typeof k === 'string' && known.has(k))) return keys
      return null
    }
    const own = Object.keys(value)
    if (own.length && own.every((k) => known.has(k))) return own
    if (!own.length && FIELD_CLAIMS.test(name)) return []
    for (const k of own) {
      const found = look(value[k], k, depth + 1)
      if (found) return found
    }
    return null
  }
  return look(payload, '', 0)
}

// 证照编号 for people: 1.2.156.3005.2.{type}.{issuer USCC}.{serial}.{version}.{check}
// (GB/T 36904) without the fixed OID prefix every license shares, in groups. Anything else
// is shown as it is. The full identifier is what gets copied.
const OID_PREFIX = '1.2.156.3005.2.'

export function identifierGroups(identifier) {
  const text = String(identifier || '')
  if (!text.startsWith(OID_PREFIX)) return [text]
  const parts = text.slice(OID_PREFIX.length).split('.')
  if (parts.length !== 5) return [text]
  const [type, issuer, serial, version, check] = parts
  return [type, issuer.slice(0, 9), issuer.slice(9), serial, `${version}-${check}`]
}
