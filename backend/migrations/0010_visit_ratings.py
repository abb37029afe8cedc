from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_elder_mode')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Booking',
            name='rating_invited_at',
            field=fields.DatetimeField(null=True),
        ),
    ]
