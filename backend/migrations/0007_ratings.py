from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from backend.models.notifications import NotificationKind
from backend.models.ratings import RatingChannel, RatingLevel, RatingTargetKind, RatingTokenPurpose, TicketAction, TicketStage, TicketState
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_bookings')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Rating',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('rater', fields.ForeignKeyField('models.User', source_field='rater_id', db_constraint=True, to_field='id', related_name='ratings', on_delete=OnDelete.RESTRICT)),
                ('target_kind', fields.CharEnumField(description='CASE: CASE\nHALL_VISIT: HALL_VISIT', enum_type=RatingTargetKind, max_length=16)),
                ('target_key', fields.CharField(max_length=40)),
                ('case', fields.ForeignKeyField('models.Case', source_field='case_id', null=True, db_constraint=True, to_field='id', related_name='ratings', on_delete=OnDelete.RESTRICT)),
                ('booking_id', fields.IntField(null=True)),
                ('department', fields.ForeignKeyField('models.Department', source_field='department_id', db_constraint=True, to_field='id', related_name='ratings', on_delete=OnDelete.RESTRICT)),
                ('item', fields.ForeignKeyField('models.ServiceItem', source_field='item_id', null=True, db_constraint=True, to_field='id', related_name='ratings', on_delete=OnDelete.RESTRICT)),
                ('hall', fields.ForeignKeyField('models.ServiceHall', source_field='hall_id', null=True, db_constraint=True, to_field='id', related_name='ratings', on_delete=OnDelete.RESTRICT)),
                ('level', fields.CharEnumField(description='VERY_SATISFIED: VERY_SATISFIED\nSATISFIED: SATISFIED\nBASICALLY_SATISFIED: BASICALLY_SATISFIED\nUNSATISFIED: UNSATISFIED\nVERY_UNSATISFIED: VERY_UNSATISFIED', enum_type=RatingLevel, max_length=24)),
                ('reasons', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('comment', fields.TextField(default='', unique=False)),
                ('channel', fields.CharEnumField(description='APP: APP\nPUSH: PUSH', enum_type=RatingChannel, max_length=8)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'rating', 'app': 'models', 'unique_together': (('rater_id', 'target_key'),), 'indexes': [Index(fields=['item_id', 'created_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RectificationTicket',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('rating', fields.OneToOneField('models.Rating', source_field='rating_id', db_constraint=True, to_field='id', related_name='ticket', on_delete=OnDelete.RESTRICT)),
                ('person', fields.ForeignKeyField('models.User', source_field='person_id', db_constraint=True, to_field='id', related_name='rectification_tickets', on_delete=OnDelete.RESTRICT)),
                ('case', fields.ForeignKeyField('models.Case', source_field='case_id', null=True, db_constraint=True, to_field='id', related_name='rectification_tickets', on_delete=OnDelete.RESTRICT)),
                ('department', fields.ForeignKeyField('models.Department', source_field='department_id', db_constraint=True, to_field='id', related_name='rectification_tickets', on_delete=OnDelete.RESTRICT)),
                ('item', fields.ForeignKeyField('models.ServiceItem', source_field='item_id', null=True, db_constraint=True, to_field='id', related_name='rectification_tickets', on_delete=OnDelete.RESTRICT)),
                ('hall', fields.ForeignKeyField('models.ServiceHall', source_field='hall_id', null=True, db_constraint=True, to_field='id', related_name='rectification_tickets', on_delete=OnDelete.RESTRICT)),
                ('state', fields.CharEnumField(db_index=True, description='OPEN: OPEN\nVERIFIED: VERIFIED\nRECTIFIED: RECTIFIED\nVISITED: VISITED\nCLOSED: CLOSED', enum_type=TicketState, max_length=16)),
                ('stage', fields.CharEnumField(description='VERIFY: VERIFY\nRECTIFY: RECTIFY\nVISIT: VISIT\nSUPERVISOR: SUPERVISOR\nNONE: NONE', enum_type=TicketStage, max_length=16)),
                ('awaiting_supervisor', fields.BooleanField(default=False)),
                ('found_true', fields.BooleanField(null=True)),
                ('finding', fields.TextField(default='', unique=False)),
                ('rectification', fields.TextField(default='', unique=False)),
                ('visit_level', fields.CharEnumField(null=True, description='VERY_SATISFIED: VERY_SATISFIED\nSATISFIED: SATISFIED\nBASICALLY_SATISFIED: BASICALLY_SATISFIED\nUNSATISFIED: UNSATISFIED\nVERY_UNSATISFIED: VERY_UNSATISFIED', enum_type=RatingLevel, max_length=24)),
                ('visit_note', fields.TextField(default='', unique=False)),
                ('opened_on', fields.DateField(db_index=True)),
                ('verify_due', fields.DateField()),
                ('rectify_due', fields.DateField(null=True)),
                ('visit_due', fields.DateField(null=True)),
                ('verified_on', fields.DateField(null=True)),
                ('rectified_on', fields.DateField(null=True)),
                ('visited_on', fields.DateField(null=True)),
                ('closed_on', fields.DateField(null=True)),
                ('warned_stage', fields.CharEnumField(null=True, description='VERIFY: VERIFY\nRECTIFY: RECTIFY\nVISIT: VISIT\nSUPERVISOR: SUPERVISOR\nNONE: NONE', enum_type=TicketStage, max_length=16)),
                ('overdue_stage', fields.CharEnumField(null=True, description='VERIFY: VERIFY\nRECTIFY: RECTIFY\nVISIT: VISIT\nSUPERVISOR: SUPERVISOR\nNONE: NONE', enum_type=TicketStage, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'rectification_ticket', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RatingToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('purpose', fields.CharEnumField(description='RATE: RATE\nRETURN_VISIT: RETURN_VISIT', enum_type=RatingTokenPurpose, max_length=16)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='rating_tokens', on_delete=OnDelete.CASCADE)),
                ('case', fields.ForeignKeyField('models.Case', source_field='case_id', db_constraint=True, to_field='id', related_name='rating_tokens', on_delete=OnDelete.CASCADE)),
                ('ticket', fields.ForeignKeyField('models.RectificationTicket', source_field='ticket_id', null=True, db_constraint=True, to_field='id', related_name='tokens', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'rating_token', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A single-use, short-lived authorisation carried in one push. Only its SHA-256 is kept.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TicketEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('ticket', fields.ForeignKeyField('models.RectificationTicket', source_field='ticket_id', db_constraint=True, to_field='id', related_name='entries', on_delete=OnDelete.RESTRICT)),
                ('action', fields.CharEnumField(description='OPENED: OPENED\nVERIFIED: VERIFIED\nCONFIRMED: CONFIRMED\nOVERRULED: OVERRULED\nRECTIFIED: RECTIFIED\nVISIT_REQUESTED: VISIT_REQUESTED\nVISITED: VISITED\nCLOSED: CLOSED\nDUE_SOON: DUE_SOON\nOVERDUE: OVERDUE', enum_type=TicketAction, max_length=16)),
                ('state', fields.CharEnumField(description='OPEN: OPEN\nVERIFIED: VERIFIED\nRECTIFIED: RECTIFIED\nVISITED: VISITED\nCLOSED: CLOSED', enum_type=TicketState, max_length=16)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='ticket_entries', on_delete=OnDelete.SET_NULL)),
                ('actor_label', fields.CharField(max_length=100)),
                ('note', fields.TextField(default='', unique=False)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'ticket_entry', 'app': 'models', 'pk_attr': 'id', 'table_description': "The ticket's history. Append-only: nothing updates or deletes these rows."},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Notification',
            name='kind',
            field=fields.CharEnumField(description='CASE_ACCEPTED: CASE_ACCEPTED\nSUPPLEMENT_REQUESTED: SUPPLEMENT_REQUESTED\nCASE_APPROVED: CASE_APPROVED\nCASE_REJECTED: CASE_REJECTED\nCASE_DELIVERED: CASE_DELIVERED\nCASE_TERMINATED: CASE_TERMINATED\nCASE_OVERDUE: CASE_OVERDUE\nBOOKING_REMINDER: BOOKING_REMINDER\nRATING_INVITATION: RATING_INVITATION\nLICENSE_ISSUED: LICENSE_ISSUED\nRECTIFICATION_PROGRESS: RECTIFICATION_PROGRESS\nRATING_RETURN_VISIT: RATING_RETURN_VISIT', enum_type=NotificationKind, max_length=32),
        ),
    ]
