from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from backend.models.cases import CaseEventKind, CaseStatus, DeliveryMethod, MaterialProvision
from backend.models.licenses import LicenseStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_identity')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Case',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('number', fields.CharField(unique=True, max_length=32)),
                ('applicant', fields.ForeignKeyField('models.User', source_field='applicant_id', db_constraint=True, to_field='id', related_name='cases', on_delete=OnDelete.RESTRICT)),
                ('enterprise', fields.ForeignKeyField('models.Enterprise', source_field='enterprise_id', null=True, db_constraint=True, to_field='id', related_name='cases', on_delete=OnDelete.RESTRICT)),
                ('item', fields.ForeignKeyField('models.ServiceItem', source_field='item_id', db_constraint=True, to_field='id', related_name='cases', on_delete=OnDelete.RESTRICT)),
                ('department', fields.ForeignKeyField('models.Department', source_field='department_id', db_constraint=True, to_field='id', related_name='cases', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharEnumField(db_index=True, description='SUBMITTED: SUBMITTED\nSUPPLEMENT_REQUESTED: SUPPLEMENT_REQUESTED\nACCEPTED: ACCEPTED\nUNDER_REVIEW: UNDER_REVIEW\nAPPROVED: APPROVED\nREJECTED: REJECTED\nDELIVERED: DELIVERED\nTERMINATED: TERMINATED\nWITHDRAWN: WITHDRAWN', enum_type=CaseStatus, max_length=24)),
                ('resume_status', fields.CharEnumField(null=True, description='SUBMITTED: SUBMITTED\nSUPPLEMENT_REQUESTED: SUPPLEMENT_REQUESTED\nACCEPTED: ACCEPTED\nUNDER_REVIEW: UNDER_REVIEW\nAPPROVED: APPROVED\nREJECTED: REJECTED\nDELIVERED: DELIVERED\nTERMINATED: TERMINATED\nWITHDRAWN: WITHDRAWN', enum_type=CaseStatus, max_length=24)),
                ('idempotency_key', fields.CharField(max_length=64)),
                ('deficiency_promise', fields.TextField(null=True, unique=False)),
                ('supplement_note', fields.TextField(null=True, unique=False)),
                ('supplement_deadline', fields.DateField(null=True)),
                ('submitted_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('accepted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('accepted_on', fields.DateField(null=True)),
                ('promised_days', fields.IntField(default=0)),
                ('statutory_days', fields.IntField(default=0)),
                ('promised_due', fields.DateField(null=True, db_index=True)),
                ('statutory_due', fields.DateField(null=True)),
                ('paused_on', fields.DateField(null=True)),
                ('paused_working_days', fields.IntField(default=0)),
                ('warned_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('overdue_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('overdue_reason', fields.TextField(null=True, unique=False)),
                ('decision_reason', fields.TextField(null=True, unique=False)),
                ('delivery_method', fields.CharEnumField(null=True, description='WINDOW: WINDOW\nELECTRONIC: ELECTRONIC\nMAIL: MAIL', enum_type=DeliveryMethod, max_length=16)),
                ('tracking_number', fields.CharField(null=True, max_length=40)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'service_case', 'app': 'models', 'unique_together': (('applicant', 'idempotency_key'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CaseEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case', fields.ForeignKeyField('models.Case', source_field='case_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('applicant_id', fields.IntField(db_index=True)),
                ('enterprise_id', fields.IntField(null=True, db_index=True)),
                ('department_id', fields.IntField(db_index=True)),
                ('kind', fields.CharEnumField(description='SUBMITTED: SUBMITTED\nSUPPLEMENT_REQUESTED: SUPPLEMENT_REQUESTED\nSUPPLEMENTED: SUPPLEMENTED\nACCEPTED: ACCEPTED\nREVIEW_STARTED: REVIEW_STARTED\nAPPROVED: APPROVED\nREJECTED: REJECTED\nDELIVERED: DELIVERED\nTERMINATED: TERMINATED\nWITHDRAWN: WITHDRAWN\nDUE_SOON: DUE_SOON\nOVERDUE: OVERDUE\nOVERDUE_EXPLAINED: OVERDUE_EXPLAINED', enum_type=CaseEventKind, max_length=24)),
                ('status', fields.CharEnumField(description='SUBMITTED: SUBMITTED\nSUPPLEMENT_REQUESTED: SUPPLEMENT_REQUESTED\nACCEPTED: ACCEPTED\nUNDER_REVIEW: UNDER_REVIEW\nAPPROVED: APPROVED\nREJECTED: REJECTED\nDELIVERED: DELIVERED\nTERMINATED: TERMINATED\nWITHDRAWN: WITHDRAWN', enum_type=CaseStatus, max_length=24)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='case_events', on_delete=OnDelete.SET_NULL)),
                ('actor_label', fields.CharField(max_length=100)),
                ('note', fields.TextField(default='', unique=False)),
                ('data', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'case_event', 'app': 'models', 'pk_attr': 'id', 'table_description': "One step in a case's life. Ids are the feed's cursor: events are inserted under a lock"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ELicense',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('identifier', fields.CharField(unique=True, max_length=128)),
                ('license_type', fields.ForeignKeyField('models.LicenseType', source_field='license_type_id', db_constraint=True, to_field='id', related_name='licenses', on_delete=OnDelete.RESTRICT)),
                ('holder_user', fields.ForeignKeyField('models.User', source_field='holder_user_id', null=True, db_constraint=True, to_field='id', related_name='licenses', on_delete=OnDelete.CASCADE)),
                ('holder_enterprise', fields.ForeignKeyField('models.Enterprise', source_field='holder_enterprise_id', null=True, db_constraint=True, to_field='id', related_name='licenses', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(default=LicenseStatus.VALID, description='VALID: VALID\nSUSPENDED: SUSPENDED\nREVOKED: REVOKED\nCANCELLED: CANCELLED\nEXPIRED: EXPIRED', enum_type=LicenseStatus, max_length=16)),
                ('valid_from', fields.DateField()),
                ('valid_until', fields.DateField(null=True)),
                ('issued_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'e_license', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CaseMaterial',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case', fields.ForeignKeyField('models.Case', source_field='case_id', db_constraint=True, to_field='id', related_name='materials', on_delete=OnDelete.CASCADE)),
                ('material', fields.ForeignKeyField('models.Material', source_field='material_id', null=True, db_constraint=True, to_field='id', related_name='case_materials', on_delete=OnDelete.SET_NULL)),
                ('position', fields.IntField()),
                ('name', fields.CharField(max_length=200)),
                ('required', fields.BooleanField()),
                ('provision', fields.CharEnumField(null=True, description='UPLOAD: UPLOAD\nFIELDS: FIELDS\nLICENSE: LICENSE\nDEFERRED: DEFERRED', enum_type=MaterialProvision, max_length=16)),
                ('fields_json', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('license', fields.ForeignKeyField('models.ELicense', source_field='license_id', null=True, db_constraint=True, to_field='id', related_name='case_materials', on_delete=OnDelete.SET_NULL)),
                ('outstanding', fields.BooleanField(default=False)),
                ('supplied_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'case_material', 'app': 'models', 'pk_attr': 'id', 'table_description': 'How one material of the guide was provided for a case (or that it is still owed).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Upload',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('owner', fields.ForeignKeyField('models.User', source_field='owner_id', db_constraint=True, to_field='id', related_name='uploads', on_delete=OnDelete.CASCADE)),
                ('case_material', fields.ForeignKeyField('models.CaseMaterial', source_field='case_material_id', null=True, db_constraint=True, to_field='id', related_name='files', on_delete=OnDelete.SET_NULL)),
                ('filename', fields.CharField(max_length=200)),
                ('content_type', fields.CharField(max_length=64)),
                ('size', fields.IntField()),
                ('sha256', fields.CharField(db_index=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'upload', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
