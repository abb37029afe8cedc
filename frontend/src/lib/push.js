// Web push on this device (docs/NOTIFICATIONS.md). The inbox carries every notification; push
// is the fast path on top, so every failure here ends in a sentence, never in a lost message.
//
// The device remembers (localStorage) who turned push on and for which endpoint, so that when the
// app opens signed in as that person we can subscribe again if the browser dropped or changed the
// subscription; the service worker says {type: 'PUSH_SUBSCRIPTION_CHANGED'} when it renewed one.
import { registerPushSubscription, unregisterPushSubscription, webPushPublicKey } from '../api/notifications.js'
import { currentSubject } from './auth.js'

const KEY = 'zsb.push'
const READY_MS = 10000
const SUBSCRIBE_MS = 20000

export const PUSH_MESSAGES = {
  unsupported: '当前浏览器不支持推送通知，消息仍会送达消息中心',
  denied: '您已关闭本站的通知权限，请在浏览器或系统设置中允许本站发送通知后再开启',
  dismissed: '未获得通知权限，推送通知未开启',
  notReady: '应用尚未准备就绪，请刷新页面后重试',
  pushService: '无法连接推送服务，本机暂时收不到推送通知，消息仍会送达消息中心',
}

export const pushSupported = typeof window !== 'undefined' &&
  'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window

/** 'unsupported' | 'default' | 'granted' | 'denied' */
export function pushPermission() {
  return pushSupported ? Notification.permission : 'unsupported'
}

function remembered() {
  try {
    return JSON.parse(localStorage.getItem(KEY) || 'null')
  } catch {
    return null
  }
}

function remember(value) {
  try {
    if (value) localStorage.setItem(KEY, JSON.stringify(value))
    else localStorage.removeItem(KEY)
  } catch {
    /* private mode: push still works, it just is not renewed by itself */
  }
}

function withTimeout(promise, ms, message) {
  let timer
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms) })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

function registration() {
  return withTimeout(navigator.serviceWorker.ready, READY_MS, PUSH_MESSAGES.notReady)
}

function keyBytes(base64url) {
  const base64 = (base64url + '='.repeat((4 - (base64url.length % 4)) % 4)).replace(/-/g, '+').replace(/_/g, '/')
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))
}

/** "Android · Chrome", "iPhone · Safari", "Windows · Edge", … for the list of devices. */
export function deviceLabel(ua = navigator.userAgent) {
  const os = /HarmonyOS/i.test(ua) ? 'HarmonyOS' : /Android/i.test(ua) ? 'Android' : /iPhone/i.test(ua) ? 'iPhone'
    : /iPad/i.test(ua) ? 'iPad' : /Windows/i.test(ua) ? 'Windows' : /Mac OS X/i.test(ua) ? 'Mac'
      : /Linux/i.test(ua) ? 'Linux' : '未知系统'
  const browser = /MicroMessenger/i.test(ua) ? '微信' : /HuaweiBrowser/i.test(ua) ? '华为浏览器'
    : /MiuiBrowser/i.test(ua) ? '小米浏览器' : /UCBrowser/i.test(ua) ? 'UC 浏览器' : /QQBrowser/i.test(ua) ? 'QQ 浏览器'
      : /SamsungBrowser/i.test(ua) ? '三星浏览器' : /Edg\//i.test(ua) ? 'Edge' : /Firefox|FxiOS/i.test(ua) ? 'Firefox'
        : /Chrome|CriOS|Chromium/i.test(ua) ? 'Chrome' : /Safari/i.test(ua) ? 'Safari' : '浏览器'
  return `${os} · ${browser}`
}

async function subscribeHere(reg) {
  const key = keyBytes(await webPushPublicKey())
  try {
    return await withTimeout(reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }),
      SUBSCRIBE_MS, PUSH_MESSAGES.pushService)
  } catch (e) {
    if (e?.name === 'NotAllowedError') throw new Error(PUSH_MESSAGES.denied)
    // InvalidStateError: subscribed before with another server key. Start over once.
    if (e?.name === 'InvalidStateError') {
      await (await reg.pushManager.getSubscription())?.unsubscribe()
      return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key })
        .catch(() => { throw new Error(PUSH_MESSAGES.pushService) })
    }
    throw new Error(PUSH_MESSAGES.pushService)
  }
}

async function register(subscription) {
  const { endpoint, keys } = subscription.toJSON()
  const result = await registerPushSubscription({ endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth },
    deviceLabel: deviceLabel() })
  if (!result.ok) throw new Error(result.message)
  remember({ subject: currentSubject(), endpoint })
  return result.device
}

/** Whether push was turned on here, by the person signed in now, and still may show. */
export async function pushEnabledHere() {
  if (pushPermission() !== 'granted') return false
  const saved = remembered()
  if (!saved || saved.subject !== currentSubject()) return false
  const subscription = await (await registration()).pushManager.getSubscription()
  return !!subscription
}

/** Ask for permission, subscribe and register this device. Throws an Error in Chinese. */
export async function enablePush() {
  if (!pushSupported) throw new Error(PUSH_MESSAGES.unsupported)
  const permission = await Notification.requestPermission()
  if (permission === 'denied') throw new Error(PUSH_MESSAGES.denied)
  if (permission !== 'granted') throw new Error(PUSH_MESSAGES.dismissed)
  const reg = await registration()
  let subscription = await reg.pushManager.getSubscription()
  // Someone else turned push on here: a new subscription, so theirs stops reaching this phone.
  if (subscription && remembered()?.subject !== currentSubject()) {
    await subscription.unsubscribe().catch(() => {})
    subscription = null
  }
  subscription ||= await subscribeHere(reg)
  try {
    return await register(subscription)
  } catch (e) {
    await subscription.unsubscribe().catch(() => {})
    throw e
  }
}

/** Unsubscribe here and tell the server. Throws an Error in Chinese. */
export async function disablePush() {
  const saved = remembered()
  remember(null)
  if (!pushSupported) return
  const subscription = await (await registration()).pushManager.getSubscription()
  const endpoint = subscription?.endpoint || saved?.endpoint
  await subscription?.unsubscribe().catch(() => {})
  if (!endpoint) return
  const result = await unregisterPushSubscription(endpoint)
  if (!result.ok) throw new Error(result.message)
}

/**
 * When the app opens signed in: if this person turned push on here and permission still holds
 * but the browser dropped or replaced the subscription, subscribe again and register it.
 */
export async function ensurePushSubscription() {
  const saved = remembered()
  if (pushPermission() !== 'granted' || !saved || saved.subject !== currentSubject()) return
  try {
    const reg = await registration()
    const subscription = (await reg.pushManager.getSubscription()) || (await subscribeHere(reg))
    if (subscription.endpoint === saved.endpoint) return
    await register(subscription)
    if (saved.endpoint) unregisterPushSubscription(saved.endpoint).catch(() => {})
  } catch {
    // Quietly: the inbox still has everything, and the next opening tries again.
  }
}

let listening = false

/** Once, from App.vue: the service worker renewed the subscription and cannot register it itself. */
export function listenForPushChanges() {
  if (listening || !pushSupported) return
  listening = true
  navigator.serviceWorker.addEventListener('message', (event) => {
    if (event.data?.type === 'PUSH_SUBSCRIPTION_CHANGED' && currentSubject()) ensurePushSubscription()
  })
}
