from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from backend.models.identity import MembershipRole
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Enterprise',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('uscc', fields.CharField(unique=True, max_length=18)),
                ('name', fields.CharField(max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'enterprise', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('sub', fields.CharField(unique=True, max_length=255)),
                ('name', fields.CharField(max_length=100)),
                ('id_number_enc', fields.TextField(null=True, unique=False)),
                ('id_number_index', fields.CharField(null=True, db_index=True, max_length=64)),
                ('phone_enc', fields.TextField(null=True, unique=False)),
                ('phone_index', fields.CharField(null=True, db_index=True, max_length=64)),
                ('roles', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('department', fields.ForeignKeyField('models.Department', source_field='department_id', null=True, db_constraint=True, to_field='id', related_name='staff', on_delete=OnDelete.SET_NULL)),
                ('claims_hash', fields.CharField(default='', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'app_user', 'app': 'models', 'pk_attr': 'id', 'table_description': "A person, keyed by the identity provider's `sub`. ID and phone numbers are stored only"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DataAccessLog',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='data_reads', on_delete=OnDelete.SET_NULL)),
                ('subject', fields.ForeignKeyField('models.User', source_field='subject_id', db_constraint=True, to_field='id', related_name='data_access_log', on_delete=OnDelete.CASCADE)),
                ('what', fields.CharField(max_length=40)),
                ('purpose', fields.CharField(max_length=80)),
                ('outcome', fields.CharField(max_length=16)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'data_access_log', 'app': 'models', 'pk_attr': 'id', 'table_description': "Every read of someone's sensitive data: who, whose, what, when, and the outcome."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Membership',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('enterprise', fields.ForeignKeyField('models.Enterprise', source_field='enterprise_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharEnumField(description='LEGAL_REPRESENTATIVE: LEGAL_REPRESENTATIVE\nAGENT: AGENT', enum_type=MembershipRole, max_length=24)),
            ],
            options={'table': 'membership', 'app': 'models', 'unique_together': (('user', 'enterprise'),), 'pk_attr': 'id', 'table_description': "A person's standing in an enterprise, as the identity provider asserts it."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AgentAuthority',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('membership', fields.ForeignKeyField('models.Membership', source_field='membership_id', db_constraint=True, to_field='id', related_name='authorities', on_delete=OnDelete.CASCADE)),
                ('granted_by', fields.ForeignKeyField('models.User', source_field='granted_by_id', db_constraint=True, to_field='id', related_name='granted_authorities', on_delete=OnDelete.RESTRICT)),
                ('scope', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'agent_authority', 'app': 'models', 'pk_attr': 'id', 'table_description': 'What the legal representative lets an agent do for the enterprise, and until when.'},
            bases=['Model'],
        ),
    ]
