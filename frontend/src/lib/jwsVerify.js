// Checking a presentation token (compact JWS, ES256) on the device, for a verifier without a
// network: the signature against the app's published keys (JWK, EC P-256), kept on the device
// from the last time it was online, and the expiry. Whether the license is still valid today
// only the server can say.
import { fetchSigningKeys } from '../api/licenses.js'
import { load, save } from './store.js'

const KEYS_KEY = 'license-signing-keys'

function base64urlBytes(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('not base64url')
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4)
  const binary = atob(b64)
  return Uint8Array.from(binary, (c) => c.charCodeAt(0))
}

function json(part) {
  return JSON.parse(new TextDecoder().decode(base64urlBytes(part)))
}

/** The parts of a compact JWS, or null when it is not one. */
export function decodeJws(token) {
  const parts = String(token || '').trim().split('.')
  if (parts.length !== 3) return null
  try {
    const header = json(parts[0])
    const payload = json(parts[1])
    if (!header || typeof header !== 'object' || !payload || typeof payload !== 'object') return null
    return { header, payload, signingInput: `${parts[0]}.${parts[1]}`, signature: base64urlBytes(parts[2]) }
  } catch {
    return null
  }
}

/**
 * → { reason, header, payload } where reason is VALID | MALFORMED | UNKNOWN_KEY | TAMPERED |
 * EXPIRED | UNSUPPORTED (no WebCrypto here: plain http on a LAN address is not a secure context).
 */
export async function verifyJws(token, keys, now = Date.now()) {
  const jws = decodeJws(token)
  if (!jws) return { reason: 'MALFORMED', header: null, payload: null }
  const { header, payload } = jws
  if (header.alg !== 'ES256') return { reason: 'TAMPERED', header, payload }
  const jwk = (keys || []).find((k) => k.kty === 'EC' && k.crv === 'P-256' && (!header.kid || k.kid === header.kid))
  if (!jwk) return { reason: 'UNKNOWN_KEY', header, payload }
  if (!globalThis.crypto?.subtle) return { reason: 'UNSUPPORTED', header, payload }
  let ok = false
  try {
    const key = await crypto.subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, ext: true },
      { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'])
    // A JWS ES256 signature is raw r||s (64 bytes): exactly what WebCrypto's ECDSA expects.
    ok = jws.signature.length === 64 && await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key,
      jws.signature, new TextEncoder().encode(jws.signingInput))
  } catch {
    ok = false
  }
  if (!ok) return { reason: 'TAMPERED', header, payload }
  if (typeof payload.exp !== 'number' || payload.exp * 1000 <= now) return { reason: 'EXPIRED', header, payload }
  if (typeof payload.nbf === 'number' && payload.nbf * 1000 > now + 60000) return { reason: 'TAMPERED', header, payload }
  return { reason: 'VALID', header, payload }
}

/** The published keys, refreshed while online and kept for offline use. → { keys, savedAt } | null */
export async function signingKeys({ refresh = true } = {}) {
  if (refresh && navigator.onLine) {
    try {
      const entry = { keys: await fetchSigningKeys(), savedAt: Date.now() }
      await save(KEYS_KEY, entry)
      return entry
    } catch {
      /* fall back to the kept copy */
    }
  }
  return (await load(KEYS_KEY)) || null
}
