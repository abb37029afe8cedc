// Notifications: the inbox, its preferences and web push devices (docs/NOTIFICATIONS.md).
// Everything is signed in (authedQuery: POST with the token, never cached) except the
// public VAPID key.
import { MESSAGES, authedQuery, query } from './graphql.js'

export const PAGE_SIZE = 20

const NOTIFICATION = 'id cursor kind kindLabel title body link caseNumber read createdAt'
const PREFERENCES = 'pushKinds quietHours { start end } kinds { kind label }'
const DEVICE = 'id label createdAt lastSuccessAt'
const INPUT_ERROR = '... on InputError { code field message }'
const HAS_CHINESE = /[\u4e00-\u9fff]/

export const NOTIFICATION_ADDED = `subscription($after: String) {
  notificationAdded(after: $after) { ${NOTIFICATION} } }`

/**
 * A mutation's union result → { ok: true, ...fields } or { ok: false, message, field, code }.
 * The server writes InputError messages in Chinese for people; anything else gets a fallback.
 */
function outcome(result, okType) {
  if (result?.__typename === okType) return { ok: true, ...result }
  if (!result) return { ok: false, message: MESSAGES.server, field: null, code: null }
  const message = HAS_CHINESE.test(result.message || '') ? result.message : '填写有误，请检查后重试'
  return { ok: false, message, field: result.field || null, code: result.code || null }
}

// ---------------------------------------------------------------- the inbox

/** notifications({ after, unreadOnly }) → NotificationConnection (newest first). */
export async function notifications({ after = null, unreadOnly = false, first = PAGE_SIZE } = {}) {
  const data = await authedQuery(`query($first: Int!, $after: String, $unreadOnly: Boolean!) {
    notifications(first: $first, after: $after, unreadOnly: $unreadOnly) {
      totalCount edges { cursor node { ${NOTIFICATION} } } pageInfo { hasNextPage endCursor } } }`,
  { first, after, unreadOnly })
  return data.notifications
}

export async function unreadNotificationCount() {
  return (await authedQuery('{ unreadNotificationCount }')).unreadNotificationCount
}

/** The count and the newest notification, in one request: the live feed resumes after it. */
export async function inboxHead() {
  const data = await authedQuery(`{ unreadNotificationCount
    notifications(first: 1) { edges { cursor node { id } } } }`)
  const newest = data.notifications.edges[0] || null
  return { unreadCount: data.unreadNotificationCount, newest: newest && { id: newest.node.id, cursor: newest.cursor } }
}

/** markNotificationsRead({ ids } | { all: true }) → { ok, marked, unreadCount } | { ok: false, message } */
export async function markNotificationsRead({ ids = null, all = false } = {}) {
  const data = await authedQuery(`mutation($ids: [ID!], $all: Boolean!) {
    markNotificationsRead(ids: $ids, all: $all) { __typename
      ... on NotificationsMarkedRead { marked unreadCount } ${INPUT_ERROR} } }`, { ids, all })
  return outcome(data.markNotificationsRead, 'NotificationsMarkedRead')
}

// ---------------------------------------------------------------- preferences

export async function notificationPreferences() {
  return (await authedQuery(`{ notificationPreferences { ${PREFERENCES} } }`)).notificationPreferences
}

/** input: { pushKinds: [kind], quietHours: { start, end } | null } → { ok, preferences } | error */
export async function updateNotificationPreferences(input) {
  const data = await authedQuery(`mutation($input: NotificationPreferencesInput!) {
    updateNotificationPreferences(input: $input) { __typename
      ... on NotificationPreferencesUpdated { preferences { ${PREFERENCES} } } ${INPUT_ERROR} } }`, { input })
  return outcome(data.updateNotificationPreferences, 'NotificationPreferencesUpdated')
}

// ---------------------------------------------------------------- web push devices

/** The VAPID applicationServerKey (base64url). Public: a plain GET. */
export async function webPushPublicKey() {
  return (await query('{ webPushPublicKey }')).webPushPublicKey
}

/** input: { endpoint, keys: { p256dh, auth }, deviceLabel } → { ok, device } | error */
export async function registerPushSubscription(input) {
  const data = await authedQuery(`mutation($input: PushSubscriptionInput!) {
    registerPushSubscription(input: $input) { __typename
      ... on PushSubscriptionRegistered { device { ${DEVICE} } } ${INPUT_ERROR} } }`, { input })
  return outcome(data.registerPushSubscription, 'PushSubscriptionRegistered')
}

export async function unregisterPushSubscription(endpoint) {
  const data = await authedQuery(`mutation($endpoint: String!) {
    unregisterPushSubscription(endpoint: $endpoint) { __typename
      ... on PushSubscriptionUnregistered { removed } ${INPUT_ERROR} } }`, { endpoint })
  return outcome(data.unregisterPushSubscription, 'PushSubscriptionUnregistered')
}

/** Stop pushes to one of my devices from another (a lost phone). → { ok } | error */
export async function removePushDevice(id) {
  const data = await authedQuery(`mutation($id: ID!) {
    removePushDevice(id: $id) { __typename ... on PushDeviceRemoved { id }
      ... on NotFoundError { code message } ${INPUT_ERROR} } }`, { id })
  return outcome(data.removePushDevice, 'PushDeviceRemoved')
}

export async function myPushDevices() {
  return (await authedQuery(`{ myPushDevices { ${DEVICE} } }`)).myPushDevices
}
