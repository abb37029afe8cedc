"""办件: applying (一次性告知, 容缺, 免证办), the lifecycle, who may see a case, its events and live feed, 电子监察.
Modules: lifecycle, applications, queries, access, events, feed, notifications, deadlines, supervision, uploads."""
