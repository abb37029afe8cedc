// GraphQL subscriptions over WebSocket (graphql-transport-ws). The client connects lazily, on
// first subscribe, and sends the current access token in connection_init on every (re)connect.
import { ref, watch } from 'vue'
import { createClient } from 'graphql-ws'
import { accessToken, session } from '../lib/auth.js'

let client = null
const reconnected = new Set()
const SERVICE_RESTART = 1012 // the server is restarting or shutting down (RFC 6455 close code)
let lastCloseCode = null

/** 'idle' (nothing subscribed) | 'connecting' | 'connected' | 'reconnecting' */
export const liveState = ref('idle')

export function wsClient() {
  if (!client) {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
    client = createClient({
      url: `${scheme}//${location.host}/graphql`,
      lazy: true,
      // A function, so a reconnect after sign-in or a new token sends the token of now.
      connectionParams: () => {
        const token = accessToken()
        return token ? { token } : {}
      },
      retryAttempts: Infinity,
      shouldRetry: () => true,
      // Back off, but never more than ~10 s: a phone coming back online should not wait minutes.
      // An instance that is shutting down closes with 1012 (Service Restart): reconnect now (the
      // load balancer sends us to another instance; the jitter spreads its clients over a moment).
      retryWait: (retries) => new Promise((resolve) => {
        const now = lastCloseCode === SERVICE_RESTART
        lastCloseCode = null
        setTimeout(resolve, now ? Math.random() * 500 : Math.min(1000 * 2 ** retries, 8000) + Math.random() * 2000)
      }),
      keepAlive: 20000,
      on: {
        connecting: () => { liveState.value = liveState.value === 'idle' ? 'connecting' : 'reconnecting' },
        connected: (_socket, _payload, wasRetry) => {
          liveState.value = 'connected'
          if (wasRetry) reconnected.forEach((fn) => fn())
        },
        closed: (event) => {
          lastCloseCode = event?.code ?? null
          if (liveState.value !== 'idle') liveState.value = 'reconnecting'
        },
      },
    })
  }
  return client
}

// Another person (or a fresh token) on this tab: reconnect so the server sees who it is now.
// terminate() closes with 4499, which graphql-ws retries; subscriptions carry on.
watch(() => session.value?.token, (now, before) => {
  if (client && before && now !== before) client.terminate()
})

/** Run fn after every reconnect (not the first connect): a list that subscribed without a
 * cursor refetches, since what happened while the socket was down is not replayed to it. */
export function onReconnected(fn) {
  reconnected.add(fn)
  return () => reconnected.delete(fn)
}

let active = 0

/**
 * subscribe(payload, sink) → unsubscribe. `payload` ({ query, variables }) is sent as is on
 * every retry of graphql-ws, so a caller may change payload.variables in place to resume
 * where it left off.
 */
export function subscribe(payload, { next, error = () => {}, complete = () => {} }) {
  active += 1
  const dispose = wsClient().subscribe(payload, {
    next: (result) => next(result.data, result.errors),
    error,
    complete,
  })
  let done = false
  return () => {
    if (done) return
    done = true
    dispose()
    active -= 1
    if (active === 0) liveState.value = 'idle'
  }
}
