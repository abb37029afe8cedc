"""好差评: rating cases (and, when bookings land, hall visits), one-tap rating tokens for push
actions, 差评整改 tickets with their working-day deadlines, and satisfaction reports.

Exports by module: levels (scale, reason chips), rating (rate, my rating), tokens (mint, redeem),
tickets (rectification workflow, 电子监察 of its deadlines), report (satisfaction, dashboard).
"""
