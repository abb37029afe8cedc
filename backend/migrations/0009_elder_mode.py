from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_case_submitted')]

    initial = False

    operations = [
        ops.AddField(
            model_name='User',
            name='elder_mode',
            field=fields.BooleanField(null=True),
        ),
    ]
