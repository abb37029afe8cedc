"""Which case events the applicant must hear about, and in what words.

Called by `record_event` inside the move's transaction, so the notification exists exactly
when the event does. Staff notes are quoted as they were written, ID and mobile numbers in
them masked (cases.lifecycle masks them on the way in; notifications/payload.py again on push).
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from backend.models import Case, CaseEvent, ServiceItem
from backend.models.cases import CaseEventKind, DeliveryMethod
from backend.models.notifications import NotificationKind
from backend.services.notifications.inbox import notify

_KINDS = {
    CaseEventKind.SUBMITTED: NotificationKind.CASE_SUBMITTED,
    CaseEventKind.ACCEPTED: NotificationKind.CASE_ACCEPTED,
    CaseEventKind.SUPPLEMENT_REQUESTED: NotificationKind.SUPPLEMENT_REQUESTED,
    CaseEventKind.APPROVED: NotificationKind.CASE_APPROVED,
    CaseEventKind.REJECTED: NotificationKind.CASE_REJECTED,
    CaseEventKind.DELIVERED: NotificationKind.CASE_DELIVERED,
    CaseEventKind.TERMINATED: NotificationKind.CASE_TERMINATED,
    CaseEventKind.OVERDUE: NotificationKind.CASE_OVERDUE,
}
# Every case that ends with a result is rated (好差评); a withdrawal is the applicant's own act.
_RATED_ENDINGS = (CaseEventKind.DELIVERED, CaseEventKind.REJECTED, CaseEventKind.TERMINATED)


async def notify_case_event(conn: BaseDBAsyncClient, *, case: Case, event: CaseEvent) -> None:
    kind = _KINDS.get(event.kind)
    if kind is None:
        return
    name = await ServiceItem.filter(id=case.item_id).using_db(conn).first().values_list("name", flat=True)
    item = f"「{name}」"
    title, body = _words(kind, case=case, event=event, item=item)
    link = f"/cases/{case.number}"
    await notify(conn, user_id=case.applicant_id, kind=kind, title=title, body=body, link=link,
                 source=f"case-event:{event.id}", case_id=case.id)
    if event.kind in _RATED_ENDINGS:
        await notify(conn, user_id=case.applicant_id, kind=NotificationKind.RATING_INVITATION,
                     title="请为本次服务评价", body=f"{item}已办结，满意吗？一键评价，每一条差评都会有人跟进。",
                     link=f"{link}?rate=1", source=f"rating-invitation:{case.id}", case_id=case.id)


def _words(kind: NotificationKind, *, case: Case, event: CaseEvent, item: str) -> tuple[str, str]:
    note = event.note.strip()
    match kind:
        case NotificationKind.CASE_SUBMITTED:
            return "申请已提交", f"您申请的{item}已提交（{case.number}），等待部门受理。可在办件详情查看进度。"
        case NotificationKind.CASE_ACCEPTED:
            due = f"，承诺 {case.promised_due.isoformat()} 前办结" if case.promised_due else ""
            return "办件已受理", f"您申请的{item}已受理（{case.number}）{due}。"
        case NotificationKind.SUPPLEMENT_REQUESTED:
            return "需要补正材料", f"{item}需要补正材料：{note}。请在办件详情中一次补齐。"
        case NotificationKind.CASE_APPROVED:
            return "审批通过", f"{item}已审批通过，办理结果将按您选择的方式送达。"
        case NotificationKind.CASE_REJECTED:
            return "不予批准", f"{item}不予批准：{note}。可在办件详情查看理由及救济途径。"
        case NotificationKind.CASE_DELIVERED:
            how = DeliveryMethod(case.delivery_method).label if case.delivery_method else "送达"
            tracking = f"，快递单号 {case.tracking_number}" if case.tracking_number else ""
            return "结果已送达", f"{item}的办理结果已{how}{tracking}。"
        case NotificationKind.CASE_TERMINATED:
            return "办件终止", f"{item}已终止办理：{note}。"
        case NotificationKind.CASE_OVERDUE:
            return "超期致歉", f"很抱歉，{item}已超过承诺办结时限。我们正在督办，将尽快办结。"
    raise ValueError(f"no words for {kind}")  # the table above covers every mapped kind
