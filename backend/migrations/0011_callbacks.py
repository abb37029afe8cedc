from tortoise import migrations
from tortoise.migrations import operations as ops
from backend.models.callbacks import CallbackStatus
from backend.models.notifications import NotificationKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0010_visit_ratings')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CallbackRequest',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='callback_requests', on_delete=OnDelete.CASCADE)),
                ('hall', fields.ForeignKeyField('models.ServiceHall', source_field='hall_id', db_constraint=True, to_field='id', related_name='callback_requests', on_delete=OnDelete.CASCADE)),
                ('item', fields.ForeignKeyField('models.ServiceItem', source_field='item_id', null=True, db_constraint=True, to_field='id', related_name='callback_requests', on_delete=OnDelete.SET_NULL)),
                ('phone_enc', fields.TextField(unique=False)),
                ('note', fields.CharField(default='', max_length=200)),
                ('status', fields.CharEnumField(default=CallbackStatus.PENDING, db_index=True, description='PENDING: PENDING\nCALLED: CALLED\nUNREACHABLE: UNREACHABLE', enum_type=CallbackStatus, max_length=16)),
                ('open_key', fields.CharField(null=True, unique=True, max_length=32)),
                ('handled_by', fields.ForeignKeyField('models.User', source_field='handled_by_id', null=True, db_constraint=True, to_field='id', related_name='callbacks_handled', on_delete=OnDelete.SET_NULL)),
                ('handled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('outcome_note', fields.CharField(null=True, max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'callback_request', 'app': 'models', 'indexes': [Index(fields=['hall_id', 'status'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Notification',
            name='kind',
            field=fields.CharEnumField(description='CASE_ACCEPTED: CASE_ACCEPTED\nSUPPLEMENT_REQUESTED: SUPPLEMENT_REQUESTED\nCASE_APPROVED: CASE_APPROVED\nCASE_REJECTED: CASE_REJECTED\nCASE_DELIVERED: CASE_DELIVERED\nCASE_TERMINATED: CASE_TERMINATED\nCASE_OVERDUE: CASE_OVERDUE\nBOOKING_REMINDER: BOOKING_REMINDER\nRATING_INVITATION: RATING_INVITATION\nLICENSE_ISSUED: LICENSE_ISSUED\nCASE_SUBMITTED: CASE_SUBMITTED\nRECTIFICATION_PROGRESS: RECTIFICATION_PROGRESS\nRATING_RETURN_VISIT: RATING_RETURN_VISIT\nBOOKING_CHANGED: BOOKING_CHANGED\nCALLBACK_HANDLED: CALLBACK_HANDLED', enum_type=NotificationKind, max_length=32),
        ),
    ]
