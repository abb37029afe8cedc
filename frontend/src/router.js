import { createRouter, createWebHistory } from 'vue-router'
import { focusScreenHeading, screenHeading } from './lib/screenFocus.js'

const routes = [
  { path: '/', name: 'home', component: () => import('./views/HomeView.vue'), meta: { title: '掌上办', tab: 'home' } },
  { path: '/search', name: 'search', component: () => import('./views/SearchView.vue'), meta: { title: '搜索事项', tab: 'home' } },
  { path: '/items/:code', name: 'item', component: () => import('./views/ItemView.vue'), meta: { title: '办事指南', tab: 'home' } },
  { path: '/departments', name: 'departments', component: () => import('./views/DepartmentsView.vue'), meta: { title: '部门', tab: 'departments' } },
  { path: '/departments/:id', name: 'department', component: () => import('./views/DepartmentView.vue'), meta: { title: '部门事项', tab: 'departments' } },
  { path: '/me', name: 'me', component: () => import('./views/MeView.vue'), meta: { title: '我的', tab: 'me' } },
  { path: '/signin/callback', name: 'signin-callback', component: () => import('./views/SignInCallbackView.vue'), meta: { title: '登录' } },
  { path: '/me/access-log', name: 'access-log', component: () => import('./views/AccessLogView.vue'), meta: { title: '数据访问记录', tab: 'me' } },
  { path: '/apply/:code', name: 'apply', component: () => import('./views/ApplyView.vue'), meta: { title: '在线办理', tab: 'home' } },
  { path: '/cases', name: 'cases', component: () => import('./views/MyCasesView.vue'), meta: { title: '我的办件', tab: 'cases' } },
  { path: '/cases/:number', name: 'case', component: () => import('./views/CaseView.vue'), meta: { title: '办件详情', tab: 'cases' } },
  { path: '/cases/:number/notice', name: 'notice', component: () => import('./views/NoticeView.vue'), meta: { title: '受理通知书', tab: 'cases' } },
  { path: '/staff', name: 'staff', component: () => import('./views/StaffQueueView.vue'), meta: { title: '办件受理工作台', tab: 'me' } },
  { path: '/staff/cases/:number', name: 'staff-case', component: () => import('./views/StaffCaseView.vue'), meta: { title: '办件办理', tab: 'me' } },
  { path: '/staff/licenses', name: 'staff-licenses', component: () => import('./views/StaffLicensesView.vue'), meta: { title: '证照管理', tab: 'me' } },
  { path: '/supervision', name: 'supervision', component: () => import('./views/SupervisionView.vue'), meta: { title: '电子监察', tab: 'me' } },
  { path: '/staff/tickets', name: 'staff-tickets', component: () => import('./views/StaffTicketsView.vue'), meta: { title: '差评整改', tab: 'me' } },
  { path: '/staff/tickets/:id', name: 'staff-ticket', component: () => import('./views/TicketView.vue'), meta: { title: '整改工单', tab: 'me' } },
  { path: '/supervision/ratings', name: 'rating-dashboard', component: () => import('./views/RatingDashboardView.vue'), meta: { title: '好差评统计', tab: 'me' } },
  { path: '/enterprise/:uscc', name: 'enterprise', component: () => import('./views/EnterpriseView.vue'), meta: { title: '企业空间', tab: 'me' } },
  { path: '/inbox', name: 'inbox', component: () => import('./views/InboxView.vue'), meta: { title: '消息中心', tab: 'inbox' } },
  { path: '/me/notifications', name: 'notification-settings', component: () => import('./views/NotificationSettingsView.vue'), meta: { title: '消息设置', tab: 'me' } },
  { path: '/licenses', name: 'licenses', component: () => import('./views/LicensesView.vue'), meta: { title: '我的证照', tab: 'me' } },
  { path: '/licenses/verifications', name: 'license-verifications', component: () => import('./views/LicenseVerificationsView.vue'), meta: { title: '核验记录', tab: 'me' } },
  { path: '/licenses/:id', name: 'license', component: () => import('./views/LicenseView.vue'), meta: { title: '亮证', tab: 'me' } },
  { path: '/book/:code', name: 'book', component: () => import('./views/BookView.vue'), meta: { title: '预约办理', tab: 'home' } },
  { path: '/bookings', name: 'bookings', component: () => import('./views/MyBookingsView.vue'), meta: { title: '我的预约', tab: 'me' } },
  { path: '/bookings/:number', name: 'booking', component: () => import('./views/BookingView.vue'), meta: { title: '预约详情', tab: 'me' } },
  { path: '/staff/bookings', name: 'staff-bookings', component: () => import('./views/StaffBookingsView.vue'), meta: { title: '大厅预约', tab: 'me' } },
  { path: '/me/callbacks', name: 'my-callbacks', component: () => import('./views/MyCallbacksView.vue'), meta: { title: '我的回电请求', tab: 'me' } },
  { path: '/staff/callbacks', name: 'staff-callbacks', component: () => import('./views/StaffCallbacksView.vue'), meta: { title: '回电队列', tab: 'me' } },
  { path: '/verify', name: 'verify', component: () => import('./views/VerifyView.vue'), meta: { title: '电子证照核验' } },
  { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('./views/NotFoundView.vue'), meta: { title: '页面不存在' } },
]

export const router = createRouter({
  history: createWebHistory(),
  routes,
  scrollBehavior: (to, from, saved) => saved || { top: 0 },
})

router.afterEach((to, from, failure) => {
  // The first screen of a visit starts at the top of the document; later ones move the focus.
  if (!failure && from.matched.length) focusScreenHeading()
  else if (!failure) setTimeout(() => screenHeading(), 0)
  document.title = to.meta.title && to.meta.title !== '掌上办' ? `${to.meta.title} · 掌上办` : '掌上办 · 西安政务服务'
})

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
