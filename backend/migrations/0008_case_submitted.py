from tortoise import migrations
from tortoise.migrations import operations as ops
from backend.models.notifications import NotificationKind
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0007_ratings')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Notification',
            name='kind',
            field=fields.CharEnumField(description='CASE_ACCEPTED: CASE_ACCEPTED\nSUPPLEMENT_REQUESTED: SUPPLEMENT_REQUESTED\nCASE_APPROVED: CASE_APPROVED\nCASE_REJECTED: CASE_REJECTED\nCASE_DELIVERED: CASE_DELIVERED\nCASE_TERMINATED: CASE_TERMINATED\nCASE_OVERDUE: CASE_OVERDUE\nBOOKING_REMINDER: BOOKING_REMINDER\nRATING_INVITATION: RATING_INVITATION\nLICENSE_ISSUED: LICENSE_ISSUED\nCASE_SUBMITTED: CASE_SUBMITTED\nRECTIFICATION_PROGRESS: RECTIFICATION_PROGRESS\nRATING_RETURN_VISIT: RATING_RETURN_VISIT\nBOOKING_CHANGED: BOOKING_CHANGED', enum_type=NotificationKind, max_length=32),
        ),
    ]
