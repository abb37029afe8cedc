import { registerSW } from 'virtual:pwa-register'
import { showConfirmDialog } from 'vant'

// A new version waits until the person agrees; we never switch versions under them.
export function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return
  const updateSW = registerSW({
    immediate: true,
    onNeedRefresh() {
      showConfirmDialog({
        title: '发现新版本',
        message: '发现新版本，是否立即更新？更新后页面将重新加载。',
        confirmButtonText: '立即更新',
        cancelButtonText: '稍后',
      }).then(() => updateSW(true)).catch(() => {})
    },
  })
}
