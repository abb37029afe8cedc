"""好差评: rating cases and hall visits, one-tap tokens for push actions, 差评整改 tickets, satisfaction reports.
Modules: levels, rating (cases), visit (hall visits), tokens, tickets (workflow, its 电子监察), report."""
