"""The GraphQL schema: an adapter over backend.services."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext
from strawberry.extensions import DisableIntrospection, MaskErrors, MaxTokensLimiter
from strawberry.schema.config import StrawberryConfig

from backend.resolvers import cases, catalog, identity
from backend.resolvers import bookings as booking_resolvers
from backend.resolvers import callbacks as callback_resolvers
from backend.resolvers import licenses as license_resolvers
from backend.resolvers import notifications as inbox
from backend.resolvers import ratings as rating_resolvers
from backend.schema.errors import MASKED_MESSAGE, should_mask_error
from backend.schema.extensions import DocumentGuard, PublicCacheHint, UnstorableArguments
from backend.schema.fanout import FanOutExecutor
from backend.schema.limits import DocumentLimits
from backend.schema.metrics_extension import OperationMetrics
from backend.schema.exception_handlers import EXCEPTION_HANDLERS
from backend.schema.permissions import IsAuthenticated, IsStaff
from backend.schema.ratelimit import RateLimitMutations
from backend.schema.types.catalog import Department, ServiceHall, ServiceItem, ServiceItemConnection
from backend.schema.types.cases import ApplicationForm, Case, CaseConnection, CaseEvent, SupervisionReport
from backend.schema.types.notifications import Notification, NotificationConnection, NotificationPreferences, PushDevice
from backend.schema.types.identity import DataAccessConnection, Enterprise, IdentityCode, Me
from backend.schema.types.licenses import License, LicenseConnection, LicenseVerificationConnection
from backend.schema.types.ratings import ItemSatisfaction, Rating, RatingLevelOption, RatingReport, RectificationTicket
from backend.schema.types.bookings import BookableHall, Booking, BookingCheckInCode, BookingConnection, BookingSlot, HallBooking
from backend.schema.types.callbacks import CallbackRequest, HallCallbackRequest
from backend.settings import Settings


@strawberry.type
class Query:
    service_items: ServiceItemConnection = strawberry.field(
        resolver=catalog.service_items,
        description="事项目录: search by Chinese text or pinyin (full or initials), ranked.",
    )
    service_item: ServiceItem | None = strawberry.field(resolver=catalog.service_item)
    departments: list[Department] = strawberry.field(resolver=catalog.departments)
    service_halls: list[ServiceHall] = strawberry.field(resolver=catalog.service_halls)
    me: Me | None = strawberry.field(resolver=identity.me, permission_classes=[IsAuthenticated],
                                     description="一人一档: the signed-in person")
    personal_code: IdentityCode = strawberry.field(resolver=identity.personal_code,
                                                   permission_classes=[IsAuthenticated], description="一人一码")
    my_data_access_log: DataAccessConnection = strawberry.field(
        resolver=identity.my_data_access_log, permission_classes=[IsAuthenticated],
        description="Who read my sensitive data, newest first",
    )
    enterprise: Enterprise | None = strawberry.field(
        resolver=identity.enterprise, permission_classes=[IsAuthenticated],
        description="一企一档; null unless the viewer is a member within scope",
    )
    application_form: ApplicationForm | None = strawberry.field(
        resolver=cases.application_form, permission_classes=[IsAuthenticated],
        description="在线申请: the materials checklist, with what is already on file (免证办)",
    )
    my_cases: CaseConnection = strawberry.field(resolver=cases.my_cases, permission_classes=[IsAuthenticated],
                                                description="我的办件, newest first")
    case: Case | None = strawberry.field(resolver=cases.case, permission_classes=[IsAuthenticated],
                                         description="One case by number; null when the viewer may not see it")
    staff_cases: CaseConnection = strawberry.field(resolver=cases.staff_cases, permission_classes=[IsAuthenticated],
                                                   description="窗口工作台: the staff member's department's cases")
    supervision: SupervisionReport = strawberry.field(
        resolver=cases.supervision_report, permission_classes=[IsAuthenticated],
        description="电子监察: due-soon and overdue cases per department",
    )
    my_licenses: list[License] = strawberry.field(resolver=license_resolvers.my_licenses,
                                                  permission_classes=[IsAuthenticated], description="我的证照")
    license: License | None = strawberry.field(
        resolver=license_resolvers.license, permission_classes=[IsAuthenticated],
        description="One e-license; null when the viewer may not see it")
    my_license_verifications: LicenseVerificationConnection = strawberry.field(
        resolver=license_resolvers.my_license_verifications, permission_classes=[IsAuthenticated],
        description="Who verified my (and my enterprises') licenses, newest first")
    issued_licenses: LicenseConnection = strawberry.field(
        resolver=license_resolvers.issued_licenses, permission_classes=[IsAuthenticated],
        description="Licenses the staff member's department issued, newest first (staff)")
    notifications: NotificationConnection = strawberry.field(
        resolver=inbox.notifications_page, permission_classes=[IsAuthenticated], description="消息中心, newest first")
    unread_notification_count: int = strawberry.field(resolver=inbox.unread_notification_count,
                                                      permission_classes=[IsAuthenticated])
    notification_preferences: NotificationPreferences = strawberry.field(
        resolver=inbox.notification_preferences, permission_classes=[IsAuthenticated])
    my_push_devices: list[PushDevice] = strawberry.field(resolver=inbox.my_push_devices,
                                                         permission_classes=[IsAuthenticated])
    web_push_public_key: str = strawberry.field(
        resolver=inbox.web_push_public_key, description="VAPID applicationServerKey (base64url P-256 point); public")
    # 好差评 and 差评整改
    rating_levels: list[RatingLevelOption] = strawberry.field(
        resolver=rating_resolvers.rating_levels, description="The five levels and their reason chips; public")
    my_rating: Rating | None = strawberry.field(
        resolver=rating_resolvers.my_rating, permission_classes=[IsAuthenticated],
        description="The viewer's rating of a case (null: not yet); NOT_FOUND unless the viewer may rate it")
    my_visit_rating: Rating | None = strawberry.field(
        resolver=rating_resolvers.my_visit_rating, permission_classes=[IsAuthenticated],
        description="The viewer's rating of a hall visit (null: not yet); NOT_FOUND unless it is the viewer's booking")
    item_satisfaction: ItemSatisfaction | None = strawberry.field(
        resolver=rating_resolvers.item_satisfaction, description="近 12 个月满意度 of one item; public")
    rectification_tickets: list[RectificationTicket] = strawberry.field(
        resolver=rating_resolvers.rectification_tickets, permission_classes=[IsAuthenticated],
        description="差评整改工单: the staff member's department's, or every department's for a supervisor")
    rectification_ticket: RectificationTicket | None = strawberry.field(
        resolver=rating_resolvers.rectification_ticket, permission_classes=[IsAuthenticated])
    rating_report: RatingReport = strawberry.field(
        resolver=rating_resolvers.rating_report, permission_classes=[IsAuthenticated],
        description="好差评统计 per department, item and hall for a period (supervisors; staff: own department)")
    # ---- booking (预约) ----
    bookable_halls: list[BookableHall] = strawberry.field(resolver=booking_resolvers.bookable_halls,
                                                          description="Halls that take bookings for the item; public")
    hall_slots: list[BookingSlot] = strawberry.field(
        resolver=booking_resolvers.hall_slots, description="A hall's slots of an item with the places left; public")
    my_bookings: BookingConnection = strawberry.field(resolver=booking_resolvers.my_bookings,
                                                      permission_classes=[IsAuthenticated], description="我的预约")
    booking: Booking | None = strawberry.field(resolver=booking_resolvers.booking, permission_classes=[IsAuthenticated],
                                               description="One booking by number; null when not the viewer's")
    booking_check_in_code: BookingCheckInCode = strawberry.field(
        resolver=booking_resolvers.booking_check_in_code, permission_classes=[IsAuthenticated],
        description="签到码: short-lived; the PWA refreshes it on screen")
    hall_bookings: list[HallBooking] = strawberry.field(
        resolver=booking_resolvers.hall_bookings, permission_classes=[IsAuthenticated],
        description="大厅当日预约 (staff): the department's items at the hall; date defaults to today")
    # ---- 帮办代办 (call-back requests) ----
    my_callback_requests: list[CallbackRequest] = strawberry.field(
        resolver=callback_resolvers.my_callback_requests, permission_classes=[IsAuthenticated],
        description="我的回电请求, newest first")
    hall_callback_requests: list[HallCallbackRequest] = strawberry.field(
        resolver=callback_resolvers.hall_callback_requests, permission_classes=[IsAuthenticated, IsStaff],
        description="大厅回电队列 (staff of a department stationed at the hall); status null: all")


@strawberry.type
class Mutation:
    reveal_my_number = strawberry.mutation(resolver=identity.reveal_my_number, permission_classes=[IsAuthenticated],
                                           description="The owner's own full number; audited")
    grant_agent_authority = strawberry.mutation(resolver=identity.grant_agent_authority,
                                                permission_classes=[IsAuthenticated])
    revoke_agent_authority = strawberry.mutation(resolver=identity.revoke_agent_authority,
                                                 permission_classes=[IsAuthenticated])
    identify_by_code = strawberry.mutation(resolver=identity.identify_by_code, permission_classes=[IsAuthenticated],
                                           description="Hall window scans 一人一码/一企一码 (staff); audited")
    set_elder_mode = strawberry.mutation(resolver=identity.set_elder_mode, permission_classes=[IsAuthenticated],
                                         description="长辈模式 on the account; the PWA keeps it on the device too")
    submit_application = strawberry.mutation(resolver=cases.submit_application, permission_classes=[IsAuthenticated],
                                             description="在线申请; idempotent per idempotencyKey")
    supplement_materials = strawberry.mutation(resolver=cases.supplement_materials, permission_classes=[IsAuthenticated],
                                               description="补正 / 补齐容缺材料")
    withdraw_case = strawberry.mutation(resolver=cases.withdraw_case, permission_classes=[IsAuthenticated])
    accept_case = strawberry.mutation(resolver=cases.accept_case, permission_classes=[IsAuthenticated],
                                      description="受理 (staff): issues the acceptance notice, starts the clock")
    request_supplement = strawberry.mutation(resolver=cases.request_supplement, permission_classes=[IsAuthenticated],
                                             description="要求补正 (staff), listing exactly which materials")
    start_review = strawberry.mutation(resolver=cases.start_review, permission_classes=[IsAuthenticated])
    approve_case = strawberry.mutation(resolver=cases.approve_case, permission_classes=[IsAuthenticated])
    reject_case = strawberry.mutation(resolver=cases.reject_case, permission_classes=[IsAuthenticated])
    deliver_case = strawberry.mutation(resolver=cases.deliver_case, permission_classes=[IsAuthenticated],
                                       description="送达: window pickup, electronic, or mail with tracking number")
    explain_overdue = strawberry.mutation(resolver=cases.explain_overdue, permission_classes=[IsAuthenticated],
                                          description="The department's stated reason for an overdue case (Art. 33)")
    present_license = strawberry.mutation(resolver=license_resolvers.present_license,
                                          permission_classes=[IsAuthenticated],
                                          description="亮证: a signed, short-lived presentation with its QR code")
    verify_license_presentation = strawberry.mutation(
        resolver=license_resolvers.verify_license_presentation,
        description="Verify a presentation (public; recorded for the holder)")
    change_license_status = strawberry.mutation(resolver=license_resolvers.change_license_status,
                                                permission_classes=[IsAuthenticated],
                                                description="暂扣/恢复/吊销/注销/作废 by the issuing department's staff")
    mark_notifications_read = strawberry.mutation(resolver=inbox.mark_notifications_read,
                                                  permission_classes=[IsAuthenticated])
    update_notification_preferences = strawberry.mutation(resolver=inbox.update_notification_preferences,
                                                          permission_classes=[IsAuthenticated])
    register_push_subscription = strawberry.mutation(resolver=inbox.register_push_subscription,
                                                     permission_classes=[IsAuthenticated],
                                                     description="Web push for this device; several devices per person")
    unregister_push_subscription = strawberry.mutation(resolver=inbox.unregister_push_subscription,
                                                       permission_classes=[IsAuthenticated])
    remove_push_device = strawberry.mutation(resolver=inbox.remove_push_device, permission_classes=[IsAuthenticated],
                                             description="Stop pushes to one of my devices (a lost phone), from another")
    # 好差评 and 差评整改
    rate_case = strawberry.mutation(resolver=rating_resolvers.rate_case, permission_classes=[IsAuthenticated],
                                    description="好差评: once per case, after its decision or result")
    rate_visit = strawberry.mutation(resolver=rating_resolvers.rate_visit, permission_classes=[IsAuthenticated],
                                     description="到厅服务评价: once per checked-in booking, by the person who came")
    rate_by_token = strawberry.mutation(resolver=rating_resolvers.rate_by_token,
                                        description="One tap from a push: authorised by its single-use rating token")
    verify_rating = strawberry.mutation(resolver=rating_resolvers.verify_rating, permission_classes=[IsAuthenticated],
                                        description="差评核实 (staff): found true or not, with the finding")
    record_rectification = strawberry.mutation(resolver=rating_resolvers.record_rectification,
                                               permission_classes=[IsAuthenticated],
                                               description="整改 (staff): what was changed; asks the person again")
    record_return_visit = strawberry.mutation(resolver=rating_resolvers.record_return_visit,
                                              permission_classes=[IsAuthenticated],
                                              description="回访 (staff): the person's answer on a phone visit")
    answer_return_visit = strawberry.mutation(resolver=rating_resolvers.answer_return_visit,
                                              permission_classes=[IsAuthenticated],
                                              description="The person's own answer to the return visit")
    confirm_rating_ticket = strawberry.mutation(resolver=rating_resolvers.confirm_rating_ticket,
                                                permission_classes=[IsAuthenticated],
                                                description="电子监察 (supervisor): confirm or overrule a finding")
    # ---- booking (预约) ----
    book_slot = strawberry.mutation(resolver=booking_resolvers.book_slot, permission_classes=[IsAuthenticated],
                                    description="预约: takes one place of the slot, exactly")
    cancel_booking = strawberry.mutation(resolver=booking_resolvers.cancel_booking, permission_classes=[IsAuthenticated],
                                         description="Cancel up to the cut-off; the place goes back at once")
    reschedule_booking = strawberry.mutation(resolver=booking_resolvers.reschedule_booking,
                                             permission_classes=[IsAuthenticated],
                                             description="改约 to another slot of the same hall and item")
    check_in_booking = strawberry.mutation(resolver=booking_resolvers.check_in_booking,
                                           permission_classes=[IsAuthenticated],
                                           description="签到 (staff): the scanned or typed check-in code; audited")
    set_hall_schedule = strawberry.mutation(resolver=booking_resolvers.set_hall_schedule,
                                            permission_classes=[IsAuthenticated],
                                            description="Hall hours, and the staff's department's bookable items")
    close_hall = strawberry.mutation(resolver=booking_resolvers.close_hall, permission_classes=[IsAuthenticated],
                                     description="闭厅 for a day (staff): cancels its bookings and tells every holder")
    # ---- 帮办代办 (call-back requests) ----
    request_callback = strawberry.mutation(resolver=callback_resolvers.request_callback,
                                           permission_classes=[IsAuthenticated],
                                           description="请大厅回电: one open request per person per hall")
    mark_callback_done = strawberry.mutation(resolver=callback_resolvers.mark_callback_done,
                                             permission_classes=[IsAuthenticated, IsStaff],
                                             description="回电结果 (hall staff): tells the person in the inbox")


@strawberry.type
class Subscription:
    case_progress: CaseEvent = strawberry.subscription(
        resolver=cases.case_progress, permission_classes=[IsAuthenticated],
        description="Events of the cases the viewer may see: replayed after `after`, then live; in order, no duplicates",
    )
    notification_added: Notification = strawberry.subscription(
        resolver=inbox.notification_added, permission_classes=[IsAuthenticated],
        description="The viewer's notifications: replayed after `after`, then live; in order, no duplicates",
    )


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # Only failures we did not expect are logged (with their trace); bad documents and
        # bad input are the client's business and would only flood the log.
        unexpected = [error for error in errors if should_mask_error(error)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema(settings: Settings) -> strawberry.Schema:
    # Extensions are factories: each request gets fresh instances. The parser and
    # validation caches are module-level LRUs shared across those instances.
    # Depth, aliases, cost, fragment spreads and repeated fields are measured before validation
    # (backend/schema/limits.py), in linear time; strawberry's depth and alias limiters are
    # exponential in fragment spreads. No rules are added, so the validation cache keeps hitting.
    limits = DocumentLimits.from_settings(settings)
    extensions = [
        lambda: DocumentGuard(limits=limits, maxsize=512),  # the parser and validation caches
        lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        lambda: MaskErrors(should_mask_error=should_mask_error, error_message=MASKED_MESSAGE),
        UnstorableArguments,  # after MaskErrors: its post-execute step runs first
        PublicCacheHint,
        RateLimitMutations,
        OperationMetrics,
    ]
    if not settings.is_dev:
        extensions.append(DisableIntrospection)
    return Schema(query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions, config=StrawberryConfig(),
                  exception_handlers=EXCEPTION_HANDLERS, execution_context_class=FanOutExecutor)
