// Sign-in through the unified identity provider (统一身份认证): the standard OIDC
// authorization-code flow with PKCE (S256). The access token lives in sessionStorage only:
// it ends with the tab, and no other site can read it.
import { computed, ref } from 'vue'

const TOKEN_KEY = 'zsb.session'
const FLOW_KEY = 'zsb.signin'
export const CALLBACK_PATH = '/signin/callback'

function readSession() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(TOKEN_KEY) || 'null')
    return saved && saved.expiresAt > Date.now() ? saved : null
  } catch {
    return null
  }
}

export const session = ref(readSession())
export const signedIn = computed(() => !!session.value && session.value.expiresAt > Date.now())

export function accessToken() {
  if (session.value && session.value.expiresAt <= Date.now()) signOut()
  return session.value?.token || null
}

// Who is signed in (the token's `sub`), to keep one person's drafts apart from another's on a
// shared phone. Read only, never trusted: the server verifies the token.
export function currentSubject() {
  const token = accessToken()
  if (!token) return null
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')
    return JSON.parse(atob(part)).sub || null
  } catch {
    return null
  }
}

export function signOut() {
  session.value = null
  sessionStorage.removeItem(TOKEN_KEY)
}

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function randomString(size = 32) {
  return base64url(crypto.getRandomValues(new Uint8Array(size)))
}

async function providerConfig() {
  const response = await fetch('/auth/config', { headers: { Accept: 'application/json' } })
  if (!response.ok) throw new Error('无法连接统一身份认证平台，请稍后重试')
  const config = await response.json()
  if (config.authorizationEndpoint && config.tokenEndpoint) return config
  const discovery = await fetch(`${config.issuer}/.well-known/openid-configuration`).then((r) => r.json())
  return { ...config, authorizationEndpoint: discovery.authorization_endpoint, tokenEndpoint: discovery.token_endpoint }
}

export async function signIn(returnTo = '/me') {
  const config = await providerConfig()
  const verifier = randomString(48)
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)))
  const state = randomString(16)
  // The development provider only redirects to same-origin paths; a real one gets our URL.
  const redirectUri = config.development ? CALLBACK_PATH : `${location.origin}${CALLBACK_PATH}`
  sessionStorage.setItem(FLOW_KEY, JSON.stringify({ verifier, state, returnTo, redirectUri, tokenEndpoint: config.tokenEndpoint }))
  const params = new URLSearchParams({
    response_type: 'code', client_id: config.clientId, redirect_uri: redirectUri, scope: config.scope,
    state, code_challenge: challenge, code_challenge_method: 'S256',
  })
  location.assign(`${config.authorizationEndpoint}?${params}`)
}

export async function completeSignIn({ code, state }) {
  const flow = JSON.parse(sessionStorage.getItem(FLOW_KEY) || 'null')
  sessionStorage.removeItem(FLOW_KEY)
  if (!flow || !code || flow.state !== state) throw new Error('登录请求已失效，请重新登录')
  const response = await fetch(flow.tokenEndpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: flow.verifier,
      redirect_uri: flow.redirectUri, client_id: 'zhangshangban-pwa' }),
  })
  const body = await response.json().catch(() => null)
  if (!response.ok || !body?.access_token) throw new Error('登录失败，请重新登录')
  session.value = { token: body.access_token, expiresAt: Date.now() + (body.expires_in || 3600) * 1000 - 30000 }
  sessionStorage.setItem(TOKEN_KEY, JSON.stringify(session.value))
  return flow.returnTo || '/me'
}
