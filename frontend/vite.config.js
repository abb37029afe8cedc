import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { VantResolver } from '@vant/auto-import-resolver'
import { VitePWA } from 'vite-plugin-pwa'

const THEME_COLOR = '#1b5fc1'
// `npm run dev` proxies the API to the backend (BACKEND_URL=http://127.0.0.1:8001 to change it).
const BACKEND_URL = process.env.BACKEND_URL || 'http://127.0.0.1:8000'

// Vant's icon font comes inlined (woff2, data:) with a fallback on a CDN (at.alicdn.com) that
// chromium fetches as well. The CSP (docker/nginx.conf) allows fonts only from this origin and
// data:, and a government app should not tell a third party who opens it: drop the fallback.
function noCdnFontFallback() {
  return {
    name: 'zsb-no-cdn-font-fallback',
    generateBundle(_options, bundle) {
      for (const file of Object.values(bundle)) {
        if (file.type === 'asset' && file.fileName.endsWith('.css') && typeof file.source === 'string') {
          file.source = file.source.replace(/,\s*url\(\/\/at\.alicdn\.com\/[^)]*\)\s*format\("woff"\)/g, '')
        }
      }
    },
  }
}

export default defineConfig({
  plugins: [
    noCdnFontFallback(),
    vue(),
    // Vant components are imported on demand (no global app.use(Vant)).
    Components({ resolvers: [VantResolver()], dts: false }),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.js',
      // Never skipWaiting on its own: the page asks the person first.
      registerType: 'prompt',
      // We call registerSW() ourselves from src/lib/pwa.js.
      injectRegister: false,
      scope: '/',
      base: '/',
      includeAssets: ['favicon.svg', 'icons/apple-touch-icon.png'],
      manifest: {
        id: '/',
        name: '掌上办 · 西安政务服务',
        short_name: '掌上办',
        description: '西安市政务服务事项办事指南：查事项、看材料、找大厅，随时随地掌上办。',
        lang: 'zh-CN',
        dir: 'ltr',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        orientation: 'portrait',
        theme_color: THEME_COLOR,
        background_color: '#f5f7fa',
        categories: ['government', 'utilities'],
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      injectManifest: {
        // A classic (non-module) worker script: registers everywhere service workers exist.
        rollupFormat: 'iife',
        globPatterns: ['**/*.{js,css,html,svg,png,ico,webmanifest,woff2}'],
        maximumFileSizeToCacheInBytes: 3 * 1024 * 1024,
      },
      devOptions: { enabled: false },
    }),
  ],
  build: {
    outDir: 'static',
    emptyOutDir: true,
    target: 'es2020',
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/graphql': { target: BACKEND_URL, changeOrigin: true, ws: true },
      '/healthz': { target: BACKEND_URL, changeOrigin: true },
    },
  },
})
