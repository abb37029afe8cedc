// The 消息 tab's unread count, on its own so the shell can show the badge without loading the
// inbox's live machinery (lib/inbox.js keeps it up to date once it has started).
import { ref } from 'vue'

export const unreadCount = ref(0)
