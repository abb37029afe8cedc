"""Booking (预约) at service halls: schedules, closures, slots with exact capacity, rules, check-in, no-shows, reminders.
Modules: rules, schedule, slots, booking, place (one-statement take), checkin, noshow, reminders, staff, hall_admin, ics, errors."""
