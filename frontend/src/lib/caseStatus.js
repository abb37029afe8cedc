// How a case's status looks: one colour per status, so a list reads at a glance.
export const STATUS_LABELS = {
  SUBMITTED: '待受理',
  SUPPLEMENT_REQUESTED: '待补正',
  ACCEPTED: '已受理',
  UNDER_REVIEW: '审查中',
  APPROVED: '已批准',
  REJECTED: '不予批准',
  DELIVERED: '已送达',
  TERMINATED: '已终止',
  WITHDRAWN: '已撤回',
}

const COLOURS = {
  SUBMITTED: ['#e8f0fc', '#1b5fc1'],
  SUPPLEMENT_REQUESTED: ['#fff1e6', '#a84f00'],
  ACCEPTED: ['#e6f6fb', '#086a8c'],
  UNDER_REVIEW: ['#f1ecfd', '#6b46c1'],
  APPROVED: ['#e6f7f1', '#08704f'],
  DELIVERED: ['#e6f7f1', '#08704f'],
  REJECTED: ['#fdecee', '#cf2e3f'],
  TERMINATED: ['#eef1f5', '#4e5969'],
  WITHDRAWN: ['#eef1f5', '#5c6470'],
}

export function statusColours(status) {
  const [background, color] = COLOURS[status] || COLOURS.TERMINATED
  return { background, color }
}

export const FINAL_STATUSES = ['REJECTED', 'DELIVERED', 'TERMINATED', 'WITHDRAWN']

// The staff console's queue tabs.
export const STAFF_TABS = [
  { name: 'submitted', title: '待受理', status: ['SUBMITTED'] },
  { name: 'handling', title: '办理中', status: ['ACCEPTED', 'UNDER_REVIEW'] },
  { name: 'supplement', title: '待补正', status: ['SUPPLEMENT_REQUESTED'] },
  { name: 'approved', title: '待送达', status: ['APPROVED'] },
  { name: 'done', title: '已办结', status: FINAL_STATUSES },
]

export const PROVISION_LABELS = {
  UPLOAD: '已上传',
  FIELDS: '在线填写',
  LICENSE: '电子证照免提交',
  DEFERRED: '容缺后补',
}

/** One line about the clock: "剩余 3 个工作日" / "已超期" / "补正中，暂停计时". */
export function deadlineLine(deadline) {
  if (!deadline) return '受理后开始计时'
  if (deadline.paused) return `补正中，暂停计时 · 剩余 ${deadline.workingDaysLeft} 个工作日`
  if (deadline.overdue) return '已超过承诺时限'
  return `剩余 ${deadline.workingDaysLeft} 个工作日`
}
