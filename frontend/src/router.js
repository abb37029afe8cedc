import { createRouter, createWebHistory } from 'vue-router'
import { focusScreenHeading, screenHeading } from './lib/screenFocus.js'
import { t } from './lib/i18n.js'
import { prefetchGuide } from './api/catalog.js'

const routes = [
  { path: '/', name: 'home', component: () => import('./views/HomeView.vue'), meta: { titleKey: 'routes.home', tab: 'home' } },
  { path: '/search', name: 'search', component: () => import('./views/SearchView.vue'), meta: { titleKey: 'routes.search', tab: 'home' } },
  { path: '/items/:code', name: 'item', component: () => import('./views/ItemView.vue'), meta: { titleKey: 'routes.item', tab: 'home' } },
  { path: '/departments', name: 'departments', component: () => import('./views/DepartmentsView.vue'), meta: { titleKey: 'routes.departments', tab: 'departments' } },
  { path: '/departments/:id', name: 'department', component: () => import('./views/DepartmentView.vue'), meta: { titleKey: 'routes.department', tab: 'departments' } },
  { path: '/me', name: 'me', component: () => import('./views/MeView.vue'), meta: { titleKey: 'routes.me', tab: 'me' } },
  { path: '/signin/callback', name: 'signin-callback', component: () => import('./views/SignInCallbackView.vue'), meta: { titleKey: 'routes.signin-callback' } },
  { path: '/me/access-log', name: 'access-log', component: () => import('./views/AccessLogView.vue'), meta: { titleKey: 'routes.access-log', tab: 'me' } },
  { path: '/apply/:code', name: 'apply', component: () => import('./views/ApplyView.vue'), meta: { titleKey: 'routes.apply', tab: 'home' } },
  { path: '/cases', name: 'cases', component: () => import('./views/MyCasesView.vue'), meta: { titleKey: 'routes.cases', tab: 'cases' } },
  { path: '/cases/:number', name: 'case', component: () => import('./views/CaseView.vue'), meta: { titleKey: 'routes.case', tab: 'cases' } },
  { path: '/cases/:number/notice', name: 'notice', component: () => import('./views/NoticeView.vue'), meta: { titleKey: 'routes.notice', tab: 'cases' } },
  { path: '/staff', name: 'staff', component: () => import('./views/StaffQueueView.vue'), meta: { titleKey: 'routes.staff', tab: 'me' } },
  { path: '/staff/cases/:number', name: 'staff-case', component: () => import('./views/StaffCaseView.vue'), meta: { titleKey: 'routes.staff-case', tab: 'me' } },
  { path: '/staff/licenses', name: 'staff-licenses', component: () => import('./views/StaffLicensesView.vue'), meta: { titleKey: 'routes.staff-licenses', tab: 'me' } },
  { path: '/supervision', name: 'supervision', component: () => import('./views/SupervisionView.vue'), meta: { titleKey: 'routes.supervision', tab: 'me' } },
  { path: '/staff/tickets', name: 'staff-tickets', component: () => import('./views/StaffTicketsView.vue'), meta: { titleKey: 'routes.staff-tickets', tab: 'me' } },
  { path: '/staff/tickets/:id', name: 'staff-ticket', component: () => import('./views/TicketView.vue'), meta: { titleKey: 'routes.staff-ticket', tab: 'me' } },
  { path: '/supervision/ratings', name: 'rating-dashboard', component: () => import('./views/RatingDashboardView.vue'), meta: { titleKey: 'routes.rating-dashboard', tab: 'me' } },
  { path: '/enterprise/:uscc', name: 'enterprise', component: () => import('./views/EnterpriseView.vue'), meta: { titleKey: 'routes.enterprise', tab: 'me' } },
  { path: '/inbox', name: 'inbox', component: () => import('./views/InboxView.vue'), meta: { titleKey: 'routes.inbox', tab: 'inbox' } },
  { path: '/me/notifications', name: 'notification-settings', component: () => import('./views/NotificationSettingsView.vue'), meta: { titleKey: 'routes.notification-settings', tab: 'me' } },
  { path: '/licenses', name: 'licenses', component: () => import('./views/LicensesView.vue'), meta: { titleKey: 'routes.licenses', tab: 'me' } },
  { path: '/licenses/verifications', name: 'license-verifications', component: () => import('./views/LicenseVerificationsView.vue'), meta: { titleKey: 'routes.license-verifications', tab: 'me' } },
  { path: '/licenses/:id', name: 'license', component: () => import('./views/LicenseView.vue'), meta: { titleKey: 'routes.license', tab: 'me' } },
  { path: '/book/:code', name: 'book', component: () => import('./views/BookView.vue'), meta: { titleKey: 'routes.book', tab: 'home' } },
  { path: '/bookings', name: 'bookings', component: () => import('./views/MyBookingsView.vue'), meta: { titleKey: 'routes.bookings', tab: 'me' } },
  { path: '/bookings/:number', name: 'booking', component: () => import('./views/BookingView.vue'), meta: { titleKey: 'routes.booking', tab: 'me' } },
  { path: '/staff/bookings', name: 'staff-bookings', component: () => import('./views/StaffBookingsView.vue'), meta: { titleKey: 'routes.staff-bookings', tab: 'me' } },
  { path: '/me/callbacks', name: 'my-callbacks', component: () => import('./views/MyCallbacksView.vue'), meta: { titleKey: 'routes.my-callbacks', tab: 'me' } },
  { path: '/staff/callbacks', name: 'staff-callbacks', component: () => import('./views/StaffCallbacksView.vue'), meta: { titleKey: 'routes.staff-callbacks', tab: 'me' } },
  { path: '/verify', name: 'verify', component: () => import('./views/VerifyView.vue'), meta: { titleKey: 'routes.verify' } },
  { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('./views/NotFoundView.vue'), meta: { titleKey: 'routes.not-found' } },
]

export const router = createRouter({
  history: createWebHistory(),
  routes,
  scrollBehavior: (to, from, saved) => saved || { top: 0 },
})

// A guide's data is asked for while its screen's code downloads (see api/catalog.js).
router.beforeEach((to) => {
  if (to.name === 'item' && typeof to.params.code === 'string') prefetchGuide(to.params.code)
})

router.afterEach((to, from, failure) => {
  // The first screen of a visit starts at the top of the document; later ones move the focus.
  if (!failure && from.matched.length) focusScreenHeading()
  else if (!failure) setTimeout(() => screenHeading(), 0)
  setTitle(to)
})

// The window title follows the screen and the language.
export function setTitle(to = router.currentRoute.value) {
  const key = to.meta.titleKey
  document.title = key && key !== 'routes.home' ? t('app.windowTitle', { screen: t(key) }) : t('app.fullName')
}

// A screen's code could not be fetched: after a deploy (old page, new server) load the new
// version of that screen once; offline, the screen's saved chunk comes from the service worker.
router.onError((error, to) => {
  const chunkFailed = /dynamically imported module|Importing a module script failed|error loading dynamically/i
    .test(String(error?.message))
  if (chunkFailed && navigator.onLine && !sessionStorage.getItem('zsb-chunk-reload')) {
    sessionStorage.setItem('zsb-chunk-reload', '1')
    window.location.assign(to.fullPath)
  }
})
router.afterEach(() => sessionStorage.removeItem('zsb-chunk-reload'))

// A screen that must open offline from the one showing now (亮证 from 我的证照, 办件详情 from
// 我的办件 and 消息) has its code fetched ahead, so the service worker keeps it. Never throws.
export function prefetchRoute(name) {
  const record = routes.find((r) => r.name === name)
  if (typeof record?.component === 'function') record.component().catch(() => {})
}
