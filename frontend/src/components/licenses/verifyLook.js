// What a verification says, in words; and a result made on the device from a checked token.
export const REASON_LABELS = {
  VALID: '有效',
  MALFORMED: '二维码内容无法识别',
  TAMPERED: '签名无效，内容可能被篡改',
  UNKNOWN_KEY: '签名无效，签发密钥未知',
  EXPIRED: '亮证码已过期，请持证人刷新后重新出示',
  LICENSE_NOT_FOUND: '证照不存在',
  LICENSE_SUSPENDED: '证照已暂扣（挂起）',
  LICENSE_REVOKED: '证照已吊销',
  LICENSE_CANCELLED: '证照已注销',
  LICENSE_EXPIRED: '证照已超过有效期',
  LICENSE_VOIDED: '证照已作废',
  LICENSE_NOT_YET_VALID: '证照尚未生效',
}

const pick = (obj, names) => {
  for (const n of names) {
    const v = obj?.[n]
    if (typeof v === 'string' && v.trim()) return v
  }
  return null
}

const when = (seconds) => (typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : null)

// The disclosed fields as the token carries them: [{ key, label, value }] or { key: value }.
function fieldsOf(payload) {
  for (const name of ['fields', 'disclosed', 'disclosedFields', 'f', 'd']) {
    const v = payload?.[name]
    if (Array.isArray(v)) {
      return v.filter((x) => x && typeof x === 'object')
        .map((x) => ({ key: String(x.key ?? x.k ?? ''), label: String(x.label ?? x.l ?? x.key ?? ''), value: String(x.value ?? x.v ?? '') }))
    }
    if (v && typeof v === 'object') return Object.entries(v).map(([key, value]) => ({ key, label: key, value: String(value) }))
  }
  return []
}

/** A VerificationResult-shaped answer from verifyJws(), marked `local`. */
export function localResult({ reason, payload }) {
  const authentic = reason === 'VALID' || reason === 'EXPIRED'
  // Claims of a token whose signature failed are anybody's words: show none of them. A stale
  // one says when it was shown, not what it showed (as the server does).
  const p = authentic ? payload || {} : {}
  if (reason !== 'VALID') {
    return { local: true, valid: false, reasonCode: reason, reason: REASON_LABELS[reason] || '核验未通过', issuedBy: null,
      licenseType: null, identifier: null, status: null, statusLabel: null, disclosedFields: [],
      presentedAt: when(p.iat), expiresAt: when(p.exp), offline: !!p.offline }
  }
  const license = (p.license && typeof p.license === 'object') ? p.license : p
  return {
    local: true,
    valid: reason === 'VALID',
    reasonCode: reason,
    reason: REASON_LABELS[reason] || '核验未通过',
    issuedBy: pick(license, ['issuerName', 'issuer_name', 'issuedBy', 'issuer']) ?? null,
    // The server's claims: sub = the license identifier, ltn = the type's name (docs/LICENSES.md).
    licenseType: pick(license, ['ltn', 'typeName', 'licenseType', 'licenseTypeName']) ?? null,
    identifier: pick(license, ['sub', 'identifier', 'licenseIdentifier']) ?? null,
    status: null,
    statusLabel: null,
    disclosedFields: fieldsOf(p).length ? fieldsOf(p) : fieldsOf(license),
    presentedAt: when(p.iat),
    expiresAt: when(p.exp),
    offline: !!(p.offline ?? p.off),
  }
}
