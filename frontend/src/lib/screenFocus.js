// On navigation the new screen's heading takes the focus, so a screen-reader user hears where
// they are and a keyboard user goes on from the top of the new screen (issue 14). The heading is
// the screen's own <h1>, or its top bar's title, which is then marked as the level-1 heading.
import { nextTick } from 'vue'

export function screenHeading(root = document) {
  const heading = root.querySelector('#app main h1, #app main .van-nav-bar__title')
  if (!heading) return null
  if (heading.tagName !== 'H1') {
    heading.setAttribute('role', 'heading')
    heading.setAttribute('aria-level', '1')
  }
  heading.setAttribute('tabindex', '-1')
  heading.setAttribute('data-screen-heading', '')
  return heading
}

export function focusScreenHeading() {
  nextTick(() => requestAnimationFrame(() => {
    // A control inside the new screen that already has the focus (autofocus) keeps it.
    const main = document.querySelector('#app main')
    if (main && main.contains(document.activeElement) && document.activeElement !== main) return
    screenHeading()?.focus({ preventScroll: true })
  }))
}
