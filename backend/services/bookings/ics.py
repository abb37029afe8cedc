"""The booking as an iCalendar file (RFC 5545): one VEVENT in Asia/Shanghai (with its
VTIMEZONE: China has kept UTC+8 without daylight saving since 1991) and a reminder alarm."""

from __future__ import annotations

from datetime import datetime, timezone

from backend.models import Booking
from backend.models.bookings import BookingStatus
from backend.services.workdays import CHINA

PRODID = "-//Xi'an Government Services//zhangshangban//ZH"
TZID = "Asia/Shanghai"
ALARM_MINUTES = 60

_VTIMEZONE = [
    "BEGIN:VTIMEZONE", f"TZID:{TZID}", "BEGIN:STANDARD", "DTSTART:19910915T000000", "TZOFFSETFROM:+0900",
    "TZOFFSETTO:+0800", "TZNAME:CST", "END:STANDARD", "END:VTIMEZONE",
]


def escape(text: str) -> str:
    """TEXT values (RFC 5545 §3.3.11)."""
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """Lines longer than 75 octets are folded (§3.1), never inside a UTF-8 character."""
    out, current = [], b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return "\r\n ".join(out)


def _local(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y%m%dT%H%M%S")


def booking_ics(booking: Booking, *, window: str, origin: str, now: datetime | None = None) -> str:
    """`booking` with hall and item fetched."""
    stamp = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    cancelled = booking.status is BookingStatus.CANCELLED
    hall, item = booking.hall, booking.item
    description = (f"预约号：{booking.number}\n办理事项：{item.name}\n办理窗口：{window}\n"
                   f"请提前到达并出示掌上办中的签到码。\n{origin}/bookings/{booking.number}")
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
        f"METHOD:{'CANCEL' if cancelled else 'PUBLISH'}", *_VTIMEZONE, "BEGIN:VEVENT",
        f"UID:{booking.number}@zhangshangban", f"DTSTAMP:{stamp}",
        f"DTSTART;TZID={TZID}:{_local(booking.starts_at)}", f"DTEND;TZID={TZID}:{_local(booking.ends_at)}",
        f"SUMMARY:{escape('预约办理：' + item.name)}", f"LOCATION:{escape(hall.name + ' ' + hall.address)}",
        f"DESCRIPTION:{escape(description)}", f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        f"URL:{origin}/bookings/{booking.number}",
        "BEGIN:VALARM", "ACTION:DISPLAY", f"DESCRIPTION:{escape('预约提醒：' + item.name)}",
        f"TRIGGER:-PT{ALARM_MINUTES}M", "END:VALARM", "END:VEVENT", "END:VCALENDAR",
    ]
    return "\r\n".join(fold(line) for line in lines) + "\r\n"
