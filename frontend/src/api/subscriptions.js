// GraphQL subscriptions over WebSocket (graphql-transport-ws). Nothing subscribes yet: live
// case progress arrives in a later issue. The client connects lazily, on first subscribe.
import { createClient } from 'graphql-ws'

let client = null

export function wsClient() {
  if (!client) {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
    client = createClient({
      url: `${scheme}//${location.host}/graphql`,
      lazy: true,
      retryAttempts: Infinity,
      shouldRetry: () => true,
    })
  }
  return client
}

/** subscribe(document, variables, onData) → unsubscribe function */
export function subscribe(query, variables, onData, onError = () => {}) {
  return wsClient().subscribe({ query, variables }, {
    next: (result) => onData(result.data, result.errors),
    error: onError,
    complete: () => {},
  })
}
