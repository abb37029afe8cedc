"""Booking (预约) at service halls: schedules and closures, slots with exact capacity, booking
rules, check-in codes, no-shows and suspensions, reminders, and the .ics calendar file.

Exports per module: rules (BookingRules), schedule, slots, booking, checkin, noshow, reminders, staff, ics.
"""
