import { createApp } from 'vue'
import App from './App.vue'
import { router } from './router.js'
import { registerServiceWorker } from './lib/pwa.js'
// Styles of the Vant function APIs (components in templates get theirs on demand).
import 'vant/es/toast/style'
import 'vant/es/dialog/style'
import './styles.css'

createApp(App).use(router).mount('#app')
registerServiceWorker()
