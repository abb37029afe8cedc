from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from backend.models.notifications import NotificationKind, PushState
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_cases')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='CASE_ACCEPTED: CASE_ACCEPTED\nSUPPLEMENT_REQUESTED: SUPPLEMENT_REQUESTED\nCASE_APPROVED: CASE_APPROVED\nCASE_REJECTED: CASE_REJECTED\nCASE_DELIVERED: CASE_DELIVERED\nCASE_TERMINATED: CASE_TERMINATED\nCASE_OVERDUE: CASE_OVERDUE\nBOOKING_REMINDER: BOOKING_REMINDER\nRATING_INVITATION: RATING_INVITATION\nLICENSE_ISSUED: LICENSE_ISSUED', enum_type=NotificationKind, max_length=32)),
                ('title', fields.CharField(max_length=64)),
                ('body', fields.CharField(max_length=500)),
                ('link', fields.CharField(max_length=200)),
                ('case', fields.ForeignKeyField('models.Case', source_field='case_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('source', fields.CharField(unique=True, max_length=64)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('push_after', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('push_claim', fields.CharField(null=True, max_length=32)),
            ],
            options={'table': 'notification', 'app': 'models', 'indexes': [Index(fields=['user_id', 'read_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NotificationPreferences',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='notification_preferences', on_delete=OnDelete.CASCADE)),
                ('push_kinds', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('quiet_start', fields.SmallIntField(null=True)),
                ('quiet_end', fields.SmallIntField(null=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'notification_preferences', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PushSubscription',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='push_subscriptions', on_delete=OnDelete.CASCADE)),
                ('endpoint', fields.CharField(max_length=1000)),
                ('endpoint_hash', fields.CharField(unique=True, max_length=64)),
                ('p256dh', fields.CharField(max_length=100)),
                ('auth', fields.CharField(max_length=40)),
                ('device_label', fields.CharField(default='', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_success_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'push_subscription', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PushDelivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notification', fields.ForeignKeyField('models.Notification', source_field='notification_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('subscription', fields.ForeignKeyField('models.PushSubscription', source_field='subscription_id', null=True, db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.SET_NULL)),
                ('subscription_key', fields.CharField(max_length=64)),
                ('state', fields.CharEnumField(default=PushState.PENDING, description='PENDING: PENDING\nSENT: SENT\nEXPIRED: EXPIRED\nFAILED: FAILED', enum_type=PushState, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('log', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'push_delivery', 'app': 'models', 'unique_together': (('notification_id', 'subscription_key'),), 'pk_attr': 'id', 'table_description': 'One notification to one device. Unique per pair: a job run twice sends once.'},
            bases=['Model'],
        ),
    ]
