from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from backend.models.bookings import BookingStatus
from backend.models.cases import CaseEventKind
from backend.models.notifications import NotificationKind
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0005_licenses')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BookableItem',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('hall', fields.ForeignKeyField('models.ServiceHall', source_field='hall_id', db_constraint=True, to_field='id', related_name='bookable_items', on_delete=OnDelete.CASCADE)),
                ('item', fields.ForeignKeyField('models.ServiceItem', source_field='item_id', db_constraint=True, to_field='id', related_name='bookable_at', on_delete=OnDelete.CASCADE)),
                ('window', fields.CharField(max_length=80)),
                ('slot_minutes', fields.SmallIntField()),
                ('capacity', fields.SmallIntField()),
                ('active', fields.BooleanField(default=True)),
            ],
            options={'table': 'bookable_item', 'app': 'models', 'unique_together': (('hall', 'item'),), 'pk_attr': 'id', 'table_description': 'An item a hall takes bookings for: where (window/zone) and how (slot length, places).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BookingSlot',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('hall', fields.ForeignKeyField('models.ServiceHall', source_field='hall_id', db_constraint=True, to_field='id', related_name='slots', on_delete=OnDelete.CASCADE)),
                ('item', fields.ForeignKeyField('models.ServiceItem', source_field='item_id', db_constraint=True, to_field='id', related_name='slots', on_delete=OnDelete.CASCADE)),
                ('day', fields.DateField()),
                ('start_minute', fields.SmallIntField()),
                ('end_minute', fields.SmallIntField()),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('capacity', fields.SmallIntField()),
                ('booked', fields.SmallIntField(default=0)),
            ],
            options={'table': 'booking_slot', 'app': 'models', 'unique_together': (('hall', 'item', 'day', 'start_minute'),), 'pk_attr': 'id', 'table_description': 'One time slot of one item at one hall. Rows are written when first shown (from the'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Booking',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('number', fields.CharField(unique=True, max_length=24)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.CASCADE)),
                ('enterprise', fields.ForeignKeyField('models.Enterprise', source_field='enterprise_id', null=True, db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.SET_NULL)),
                ('slot', fields.ForeignKeyField('models.BookingSlot', source_field='slot_id', db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.RESTRICT)),
                ('hall', fields.ForeignKeyField('models.ServiceHall', source_field='hall_id', db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.RESTRICT)),
                ('item', fields.ForeignKeyField('models.ServiceItem', source_field='item_id', db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.RESTRICT)),
                ('day', fields.DateField(db_index=True)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(default=BookingStatus.BOOKED, db_index=True, description='BOOKED: BOOKED\nCHECKED_IN: CHECKED_IN\nCANCELLED: CANCELLED\nNO_SHOW: NO_SHOW', enum_type=BookingStatus, max_length=16)),
                ('active_key', fields.CharField(null=True, unique=True, max_length=48)),
                ('case', fields.ForeignKeyField('models.Case', source_field='case_id', null=True, db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.SET_NULL)),
                ('cancel_reason', fields.CharField(null=True, max_length=200)),
                ('checked_in_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('checked_in_by', fields.ForeignKeyField('models.User', source_field='checked_in_by_id', null=True, db_constraint=True, to_field='id', related_name='booking_check_ins', on_delete=OnDelete.SET_NULL)),
                ('check_in_token', fields.CharField(null=True, max_length=32)),
                ('reminded_day_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reminded_hour_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'booking', 'app': 'models', 'indexes': [Index(fields=['user_id', 'status'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BookingSuspension',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='booking_suspensions', on_delete=OnDelete.CASCADE)),
                ('until', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('reason', fields.CharField(max_length=200)),
                ('cause', fields.OneToOneField('models.Booking', source_field='cause_id', db_constraint=True, to_field='id', related_name='suspension', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'booking_suspension', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Online booking suspended after repeated no-shows. The person is told why and until when.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HallClosure',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('hall', fields.ForeignKeyField('models.ServiceHall', source_field='hall_id', db_constraint=True, to_field='id', related_name='closures', on_delete=OnDelete.CASCADE)),
                ('day', fields.DateField()),
                ('reason', fields.CharField(max_length=200)),
                ('emergency', fields.BooleanField(default=False)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='hall_closures', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'hall_closure', 'app': 'models', 'unique_together': (('hall', 'day'),), 'pk_attr': 'id', 'table_description': 'A day the hall is closed although the calendar says open: a local holiday, or an'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HallSchedule',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('hall', fields.OneToOneField('models.ServiceHall', source_field='hall_id', db_constraint=True, to_field='id', related_name='schedule', on_delete=OnDelete.CASCADE)),
                ('open_minute', fields.SmallIntField()),
                ('close_minute', fields.SmallIntField()),
                ('lunch_start', fields.SmallIntField(null=True)),
                ('lunch_end', fields.SmallIntField(null=True)),
                ('evening_weekdays', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('evening_close', fields.SmallIntField(null=True)),
                ('weekend_days', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('weekend_open', fields.SmallIntField(null=True)),
                ('weekend_close', fields.SmallIntField(null=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'hall_schedule', 'app': 'models', 'pk_attr': 'id', 'table_description': "A hall's opening hours (minutes after local midnight), its extended-hours evenings"},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='CaseEvent',
            name='kind',
            field=fields.CharEnumField(description='SUBMITTED: SUBMITTED\nSUPPLEMENT_REQUESTED: SUPPLEMENT_REQUESTED\nSUPPLEMENTED: SUPPLEMENTED\nACCEPTED: ACCEPTED\nREVIEW_STARTED: REVIEW_STARTED\nAPPROVED: APPROVED\nREJECTED: REJECTED\nDELIVERED: DELIVERED\nTERMINATED: TERMINATED\nWITHDRAWN: WITHDRAWN\nDUE_SOON: DUE_SOON\nOVERDUE: OVERDUE\nOVERDUE_EXPLAINED: OVERDUE_EXPLAINED\nBOOKED: BOOKED\nBOOKING_CHECKED_IN: BOOKING_CHECKED_IN', enum_type=CaseEventKind, max_length=24),
        ),
        ops.AlterField(
            model_name='Notification',
            name='kind',
            field=fields.CharEnumField(description='CASE_ACCEPTED: CASE_ACCEPTED\nSUPPLEMENT_REQUESTED: SUPPLEMENT_REQUESTED\nCASE_APPROVED: CASE_APPROVED\nCASE_REJECTED: CASE_REJECTED\nCASE_DELIVERED: CASE_DELIVERED\nCASE_TERMINATED: CASE_TERMINATED\nCASE_OVERDUE: CASE_OVERDUE\nBOOKING_REMINDER: BOOKING_REMINDER\nRATING_INVITATION: RATING_INVITATION\nLICENSE_ISSUED: LICENSE_ISSUED\nBOOKING_CHANGED: BOOKING_CHANGED', enum_type=NotificationKind, max_length=32),
        ),
    ]
