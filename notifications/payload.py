"""What a push carries: little, and nothing that identifies a person beyond what the
notification says. ID and phone numbers in free text (a staff note, say) are masked; the
payload fits the push services' 4 KB limit after encryption. TTL and Urgency (RFC 8030 §5.2,
§5.3) follow the kind: a supplement request matters now, a rating invitation can wait."""

from __future__ import annotations

import json
from dataclasses import dataclass

from backend.models import Notification
from backend.models.notifications import NotificationKind
from backend.services.identity.identifiers import mask_numbers

MAX_PAYLOAD_BYTES = 3072  # aes128gcm adds 86 bytes of header and tag: well under 4096

HOUR = 3600
DAY = 24 * HOUR


@dataclass(frozen=True)
class Delivery:
    ttl: int
    urgency: str  # very-low | low | normal | high


DELIVERY = {
    NotificationKind.CASE_ACCEPTED: Delivery(ttl=DAY, urgency="normal"),
    NotificationKind.SUPPLEMENT_REQUESTED: Delivery(ttl=3 * DAY, urgency="high"),
    NotificationKind.CASE_APPROVED: Delivery(ttl=3 * DAY, urgency="high"),
    NotificationKind.CASE_REJECTED: Delivery(ttl=3 * DAY, urgency="high"),
    NotificationKind.CASE_DELIVERED: Delivery(ttl=3 * DAY, urgency="normal"),
    NotificationKind.CASE_TERMINATED: Delivery(ttl=3 * DAY, urgency="high"),
    NotificationKind.CASE_OVERDUE: Delivery(ttl=DAY, urgency="normal"),
    NotificationKind.BOOKING_REMINDER: Delivery(ttl=2 * HOUR, urgency="high"),
    NotificationKind.RATING_INVITATION: Delivery(ttl=7 * DAY, urgency="low"),
    NotificationKind.LICENSE_ISSUED: Delivery(ttl=3 * DAY, urgency="normal"),
    NotificationKind.RECTIFICATION_PROGRESS: Delivery(ttl=3 * DAY, urgency="normal"),
    NotificationKind.RATING_RETURN_VISIT: Delivery(ttl=3 * DAY, urgency="low"),
    NotificationKind.BOOKING_CHANGED: Delivery(ttl=3 * DAY, urgency="high"),  # a cancelled booking: before they travel
    NotificationKind.CALLBACK_HANDLED: Delivery(ttl=3 * DAY, urgency="normal"),
}


# 满意 / 不满意 record the answer from the notification itself (the service worker POSTs the
# rating token to /ratings/quick); 更多… opens the full rating sheet. Platforms that show only
# two actions drop the third; tapping the notification opens the sheet anyway.
RATING_ACTIONS = [{"action": "rate-satisfied", "title": "满意"}, {"action": "rate-unsatisfied", "title": "不满意"},
                  {"action": "rate-more", "title": "更多…"}]
ASKS_FOR_RATING = (NotificationKind.RATING_INVITATION, NotificationKind.RATING_RETURN_VISIT)


def scrub(text: str) -> str:
    # Notes are masked when written (cases.lifecycle); this also covers rows written before.
    return mask_numbers(text)


def topic_and_tag(notification: Notification, case_number: str | None) -> tuple[str | None, str]:
    """A case's pushes share a tag (the newer replaces the older on the lock screen) and a
    Topic (a push service holding an undelivered one replaces it too). A rating invitation
    must not replace the result it rates, so it keeps a tag of its own (so does a return visit)."""
    if case_number is None or notification.kind in ASKS_FOR_RATING:
        return None, f"n-{notification.id}"
    return f"case{notification.case_id}", f"case-{case_number}"


def build(notification: Notification, *, case_number: str | None, rating_token: str | None = None) -> bytes:
    """`rating_token`: the single-use token of a rating invitation or return visit (never an
    access token); with it the notification's actions answer without opening the app."""
    _topic, tag = topic_and_tag(notification, case_number)
    body: dict[str, object] = {
        "v": 1, "id": str(notification.id), "kind": notification.kind.value, "title": scrub(notification.title),
        "body": scrub(notification.body), "link": notification.link, "tag": tag,
    }
    if notification.kind in ASKS_FOR_RATING:
        body["actions"] = RATING_ACTIONS
        if rating_token is not None and case_number is not None:
            body["rating"] = {"token": rating_token, "caseNumber": case_number}
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    while len(data) > MAX_PAYLOAD_BYTES:  # the inbox has the full text; the push says enough
        text = str(body["body"])
        body["body"] = text[: max(0, len(text) - 1 - (len(data) - MAX_PAYLOAD_BYTES) // 3 - 8)] + "…"
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return data
