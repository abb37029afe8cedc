import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { VantResolver } from '@vant/auto-import-resolver'
import { VitePWA } from 'vite-plugin-pwa'
import VueI18nPlugin from '@intlify/unplugin-vue-i18n/vite'
import { fileURLToPath } from 'node:url'

const THEME_COLOR = '#1b5fc1'

// The first visit precaches the shell and 首页 only: the entry chunk with everything it
// imports, and the home screen's chunk with its imports and CSS. Every other screen's chunks
// are cached when first used (runtime cache in src/sw.js). Filled in by generateBundle,
// read by the precache manifest transform that runs after it.
// lib/background.js: the offline outbox must start on an offline first screen too.
const PRECACHE_ROUTE_MODULES = ['src/views/HomeView.vue', 'src/lib/background.js']
const precachePlan = new Set()

function planPrecache() {
  return {
    name: 'zsb-precache-plan',
    apply: 'build',
    generateBundle(_options, bundle) {
      precachePlan.clear()
      const chunks = Object.values(bundle).filter((c) => c.type === 'chunk')
      const byFile = new Map(chunks.map((c) => [c.fileName, c]))
      const add = (chunk) => {
        if (!chunk || precachePlan.has(chunk.fileName)) return
        precachePlan.add(chunk.fileName)
        chunk.viteMetadata?.importedCss?.forEach((css) => precachePlan.add(css))
        chunk.imports.forEach((file) => add(byFile.get(file)))
      }
      chunks.filter((c) => c.isEntry).forEach(add)
      chunks.filter((c) => PRECACHE_ROUTE_MODULES.some((m) => c.facadeModuleId?.endsWith(m))).forEach(add)
      if (precachePlan.size < 2) this.error('precache plan: the entry or the home screen chunk was not found')
    },
  }
}

const onlyPlannedAssets = (entries) => ({
  manifest: entries.filter((e) => !e.url.startsWith('assets/') || precachePlan.has(e.url)),
  warnings: [],
})
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
    // Messages are compiled at build time: the runtime-only vue-i18n has no message compiler
    // (smaller, and no eval under the CSP).
    VueI18nPlugin({
      include: [fileURLToPath(new URL('./src/locales/**/*.json', import.meta.url))],
      runtimeOnly: true,
      compositionOnly: true,
      strictMessage: true, // no HTML in messages
      dropMessageCompiler: true, // every message is precompiled: the compiler never ships
    }),
    planPrecache(),
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
      includeAssets: [],
      includeManifestIcons: false, // installing fetches them; a first visit need not
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
        // The shell (index.html, manifest, favicon, the icon notifications show) and the planned
        // assets; install icons are fetched by the browser itself when it installs the app.
        globPatterns: ['index.html', 'elder-boot.js', 'manifest.webmanifest', 'favicon.svg', 'icons/icon-192.png', 'assets/*.{js,css}'],
        manifestTransforms: [onlyPlannedAssets],
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
