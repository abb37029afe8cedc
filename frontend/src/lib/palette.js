// Badge colours per 事项类型, so the grid reads at a glance.
const PALETTE = {
  LICENSING: ['#e8f0fc', '#1b5fc1'],
  LEVY: ['#fff1e6', '#a84f00'],
  BENEFIT: ['#fdecee', '#cf2e3f'],
  CONFIRMATION: ['#e6f7f1', '#08704f'],
  AWARD: ['#fff8e1', '#b7791f'],
  ADJUDICATION: ['#f1ecfd', '#6b46c1'],
  OTHER_POWER: ['#eef1f5', '#4e5969'],
  PUBLIC_SERVICE: ['#e6f6fb', '#086a8c'],
}

export function badgeStyle(itemType) {
  const [background, color] = PALETTE[itemType] || PALETTE.OTHER_POWER
  return { background, color }
}
