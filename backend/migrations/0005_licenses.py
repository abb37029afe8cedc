from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from backend.models.licenses import LicenseStatus, VerificationReason
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_notifications')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ItemLicense',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('item', fields.OneToOneField('models.ServiceItem', source_field='item_id', db_constraint=True, to_field='id', related_name='issued_license', on_delete=OnDelete.CASCADE)),
                ('license_type', fields.ForeignKeyField('models.LicenseType', source_field='license_type_id', db_constraint=True, to_field='id', related_name='issuing_items', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'item_license', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A service item whose approval issues an e-license of this type (Art. 18).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LicenseIssuer',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('department', fields.OneToOneField('models.Department', source_field='department_id', db_constraint=True, to_field='id', related_name='license_issuer', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
                ('uscc', fields.CharField(unique=True, max_length=18)),
            ],
            options={'table': 'license_issuer', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A department as the issuer of e-licenses.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LicenseVerification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('license', fields.ForeignKeyField('models.ELicense', source_field='license_id', db_index=True, db_constraint=True, to_field='id', related_name='verifications', on_delete=OnDelete.CASCADE)),
                ('verifier', fields.ForeignKeyField('models.User', source_field='verifier_id', null=True, db_constraint=True, to_field='id', related_name='license_verifications', on_delete=OnDelete.SET_NULL)),
                ('verifier_label', fields.CharField(max_length=100)),
                ('valid', fields.BooleanField()),
                ('reason_code', fields.CharEnumField(description='VALID: VALID\nMALFORMED: MALFORMED\nTAMPERED: TAMPERED\nUNKNOWN_KEY: UNKNOWN_KEY\nEXPIRED: EXPIRED\nLICENSE_NOT_FOUND: LICENSE_NOT_FOUND\nLICENSE_SUSPENDED: LICENSE_SUSPENDED\nLICENSE_REVOKED: LICENSE_REVOKED\nLICENSE_CANCELLED: LICENSE_CANCELLED\nLICENSE_EXPIRED: LICENSE_EXPIRED\nLICENSE_VOIDED: LICENSE_VOIDED\nLICENSE_NOT_YET_VALID: LICENSE_NOT_YET_VALID', enum_type=VerificationReason, max_length=32)),
                ('reason', fields.CharField(max_length=200)),
                ('token_id', fields.CharField(max_length=64)),
                ('offline', fields.BooleanField(default=False)),
                ('presented_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('verified_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'license_verification', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One verification of a presented e-license (亮证核验).'},
            bases=['Model'],
        ),
        ops.AlterModelOptions(
            name='ELicense',
            options={'table': 'e_license', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One issued e-license.'},
        ),
        ops.AlterField(
            model_name='ELicense',
            name='holder_enterprise',
            field=fields.ForeignKeyField('models.Enterprise', source_field='holder_enterprise_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='licenses', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='ELicense',
            name='holder_user',
            field=fields.ForeignKeyField('models.User', source_field='holder_user_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='licenses', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='ELicense',
            name='status',
            field=fields.CharEnumField(default=LicenseStatus.VALID, description='VALID: VALID\nSUSPENDED: SUSPENDED\nREVOKED: REVOKED\nCANCELLED: CANCELLED\nEXPIRED: EXPIRED\nVOIDED: VOIDED', enum_type=LicenseStatus, max_length=16),
        ),
        ops.AddField(
            model_name='ELicense',
            name='case',
            field=fields.ForeignKeyField('models.Case', source_field='case_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='licenses', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='ELicense',
            name='fields_json',
            field=fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='ELicense',
            name='holder_name',
            field=fields.CharField(default='', max_length=200),
        ),
        ops.AddField(
            model_name='ELicense',
            name='issued_on',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='ELicense',
            name='issuer_department',
            field=fields.ForeignKeyField('models.Department', source_field='issuer_department_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='issued_licenses', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='ELicense',
            name='issuer_name',
            field=fields.CharField(default='', max_length=100),
        ),
        ops.AddField(
            model_name='ELicense',
            name='issuer_uscc',
            field=fields.CharField(default='', max_length=18),
        ),
        ops.AddField(
            model_name='ELicense',
            name='serial',
            field=fields.CharField(default='', max_length=24),
        ),
        ops.AddField(
            model_name='ELicense',
            name='status_changed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='ELicense',
            name='status_changed_by',
            field=fields.ForeignKeyField('models.User', source_field='status_changed_by_id', null=True, db_constraint=True, to_field='id', related_name='license_status_changes', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='ELicense',
            name='status_reason',
            field=fields.CharField(null=True, max_length=200),
        ),
        ops.AddField(
            model_name='ELicense',
            name='template',
            field=fields.CharField(default='certificate', max_length=40),
        ),
        ops.AddField(
            model_name='ELicense',
            name='version',
            field=fields.IntField(default=1),
        ),
    ]
