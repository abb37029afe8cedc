import { createApp } from 'vue'
import App from './App.vue'
import { router } from './router.js'
import { registerServiceWorker } from './lib/pwa.js'
import { i18n, startLanguage } from './lib/i18n.js'
// Styles of the Vant function APIs (components in templates get theirs on demand).
import 'vant/es/toast/style'
import 'vant/es/dialog/style'
import 'vant/es/notify/style'
import 'vant/es/image-preview/style'
import './styles.css'

// The remembered (or the browser's) language first: English is fetched before the first paint.
startLanguage().finally(() => createApp(App).use(i18n).use(router).mount('#app'))
registerServiceWorker()
