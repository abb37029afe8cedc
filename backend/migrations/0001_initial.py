from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from backend.models.catalog import Audience, CaseKind, HallLevel, ItemType, MaterialType
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='AppMeta',
            fields=[
                ('key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('value', fields.TextField(unique=False)),
            ],
            options={'table': 'app_meta', 'app': 'models', 'pk_attr': 'key'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Department',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=16)),
                ('name', fields.CharField(unique=True, max_length=64)),
                ('sort_order', fields.IntField(default=0)),
            ],
            options={'table': 'department', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LicenseType',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=40)),
                ('name', fields.CharField(max_length=64)),
            ],
            options={'table': 'license_type', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A kind of e-license (电子证照). Materials link to the type that proves them (免证办).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ServiceHall',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=80)),
                ('level', fields.CharEnumField(description='CITY: CITY\nDISTRICT: DISTRICT\nCENTRE: CENTRE\nSTATION: STATION', enum_type=HallLevel, max_length=16)),
                ('district', fields.CharField(max_length=32)),
                ('address', fields.CharField(max_length=200)),
                ('opening_hours', fields.CharField(max_length=200)),
                ('phone', fields.CharField(max_length=40)),
                ('sort_order', fields.IntField(default=0)),
            ],
            options={'table': 'service_hall', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ServiceItem',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=32)),
                ('name', fields.CharField(max_length=200)),
                ('item_type', fields.CharEnumField(db_index=True, description='LICENSING: LICENSING\nLEVY: LEVY\nBENEFIT: BENEFIT\nCONFIRMATION: CONFIRMATION\nAWARD: AWARD\nADJUDICATION: ADJUDICATION\nOTHER_POWER: OTHER_POWER\nPUBLIC_SERVICE: PUBLIC_SERVICE', enum_type=ItemType, max_length=20)),
                ('department', fields.ForeignKeyField('models.Department', source_field='department_id', db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.RESTRICT)),
                ('audience', fields.CharEnumField(db_index=True, description='PERSON: PERSON\nENTERPRISE: ENTERPRISE\nBOTH: BOTH', enum_type=Audience, max_length=16)),
                ('high_frequency', fields.BooleanField(default=False, db_index=True)),
                ('is_bundle', fields.BooleanField(default=False)),
                ('is_demo', fields.BooleanField(default=False)),
                ('remark', fields.TextField(default='', unique=False)),
                ('sort_order', fields.IntField(default=0)),
                ('search_name', fields.CharField(default='', max_length=200)),
                ('pinyin_full', fields.CharField(default='', max_length=800)),
                ('pinyin_initials', fields.CharField(default='', max_length=200)),
                ('search_text', fields.TextField(default='', unique=False)),
                ('halls', fields.ManyToManyField('models.ServiceHall', unique=True, db_constraint=True, through='service_item_hall', forward_key='servicehall_id', backward_key='service_item_id', related_name='items', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'service_item', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ServiceGuide',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('item', fields.OneToOneField('models.ServiceItem', source_field='item_id', db_constraint=True, to_field='id', related_name='guide', on_delete=OnDelete.CASCADE)),
                ('basic_code', fields.CharField(max_length=40)),
                ('source_of_power', fields.TextField(unique=False)),
                ('case_kind', fields.CharEnumField(description='IMMEDIATE: IMMEDIATE\nPROMISED: PROMISED', enum_type=CaseKind, max_length=16)),
                ('level_exercised', fields.TextField(unique=False)),
                ('implementing_body', fields.TextField(unique=False)),
                ('service_object', fields.TextField(unique=False)),
                ('intermediary_service', fields.TextField(unique=False)),
                ('fees', fields.TextField(unique=False)),
                ('on_site_visits', fields.IntField()),
                ('promised_days', fields.IntField()),
                ('statutory_days', fields.IntField()),
                ('result_sample', fields.TextField(unique=False)),
                ('office_hours', fields.TextField(unique=False)),
                ('consultation', fields.TextField(unique=False)),
                ('location', fields.TextField(unique=False)),
                ('complaint_channel', fields.TextField(unique=False)),
                ('acceptance_conditions', fields.TextField(unique=False)),
                ('legal_basis', fields.TextField(unique=False)),
                ('online_address', fields.TextField(unique=False)),
                ('sample_forms', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('is_demo', fields.BooleanField(default=True)),
            ],
            options={'table': 'service_guide', 'app': 'models', 'pk_attr': 'id', 'table_description': "办事指南: every field Art. 12 lists, plus 002 §4's online address and sample forms."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Faq',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('guide', fields.ForeignKeyField('models.ServiceGuide', source_field='guide_id', db_constraint=True, to_field='id', related_name='faq', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('question', fields.TextField(unique=False)),
                ('answer', fields.TextField(unique=False)),
            ],
            options={'table': 'faq', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Material',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('guide', fields.ForeignKeyField('models.ServiceGuide', source_field='guide_id', db_constraint=True, to_field='id', related_name='materials', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('name', fields.CharField(max_length=200)),
                ('material_type', fields.CharEnumField(description='ORIGINAL: ORIGINAL\nCOPY: COPY\nORIGINAL_AND_COPY: ORIGINAL_AND_COPY\nELECTRONIC: ELECTRONIC', enum_type=MaterialType, max_length=24)),
                ('sample_text', fields.TextField(unique=False)),
                ('copies', fields.IntField()),
                ('specification', fields.TextField(unique=False)),
                ('electronic_required', fields.BooleanField()),
                ('blank_form', fields.TextField(null=True, unique=False)),
                ('required', fields.BooleanField(default=True)),
                ('deficiency_allowed', fields.BooleanField(default=False)),
                ('license_type', fields.ForeignKeyField('models.LicenseType', source_field='license_type_id', null=True, db_constraint=True, to_field='id', related_name='materials', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'material', 'app': 'models', 'pk_attr': 'id', 'table_description': '申请材料 with every Art. 13 field.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProcessStep',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('guide', fields.ForeignKeyField('models.ServiceGuide', source_field='guide_id', db_constraint=True, to_field='id', related_name='process', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('title', fields.CharField(max_length=200)),
                ('description', fields.TextField(unique=False)),
            ],
            options={'table': 'process_step', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
