// What the shell does in the background, loaded after the first screen has painted (none of it
// is needed to show that screen, and on a slow phone its code would delay it): the inbox badge
// kept live while someone is signed in, push renewed when the app opens, and applications
// submitted offline sent when the network returns.
import { watch } from 'vue'
import { signedIn } from './auth.js'
import { startOutbox } from './drafts.js'
import { startInbox } from './inbox.js'
import { ensurePushSubscription, listenForPushChanges } from './push.js'

export function startBackground() {
  startInbox()
  listenForPushChanges()
  watch(signedIn, (yes) => { if (yes) ensurePushSubscription() }, { immediate: true })
  startOutbox()
}
