"""The inbox: notifications with their cause, read state, preferences, quiet hours, live feed, push devices.
Modules: inbox, feed, subscriptions (delivering pushes is the top-level `notifications` package's job)."""
