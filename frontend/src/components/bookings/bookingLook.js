// Words and small helpers the booking screens share.
export const WEEKDAYS = ['周一', '周二', '周三', '周四', '周五', '周六', '周日']
export const KIND_LABELS = { WORKDAY: '', EXTENDED: '延时服务', WEEKEND: '周末预约服务' }
export const STATUS_COLORS = { BOOKED: '#1b5fc1', CHECKED_IN: '#067a3e', CANCELLED: '#5c6470', NO_SHOW: '#d4380d' }

/** 'YYYY-MM-DD' of a date in China (the halls' zone), whatever the phone's zone. */
export function chinaDay(offsetDays = 0) {
  const now = new Date(Date.now() + offsetDays * 86400000)
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(now)
}

export function weekdayOf(day) {
  const [y, m, d] = day.split('-').map(Number)
  return WEEKDAYS[(new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7]
}

export function dayLabel(day) {
  const [, m, d] = day.split('-').map(Number)
  const names = { [chinaDay(0)]: '今天', [chinaDay(1)]: '明天', [chinaDay(2)]: '后天' }
  return `${m}月${d}日 ${names[day] || weekdayOf(day)}`
}

export function hoursLabel(h) {
  if (!h) return ''
  const lunch = h.lunchStart ? `（${h.lunchStart}-${h.lunchEnd} 午休）` : ''
  const parts = [`工作日 ${h.openAt}-${h.closeAt}${lunch}`]
  if (h.eveningWeekdays.length) parts.push(`${h.eveningWeekdays.map((d) => WEEKDAYS[d]).join('、')}延时至 ${h.eveningCloseAt}`)
  if (h.weekendDays.length) parts.push(`${h.weekendDays.map((d) => WEEKDAYS[d]).join('、')} ${h.weekendOpenAt}-${h.weekendCloseAt}`)
  return parts.join('；')
}
