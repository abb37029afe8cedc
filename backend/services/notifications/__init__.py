"""The inbox: notifications written with their cause, read state, preferences and quiet hours,
the live inbox feed, and devices' web-push subscriptions. Modules: inbox, feed, subscriptions.
(Delivering pushes is the top-level `notifications` package's job.)"""
