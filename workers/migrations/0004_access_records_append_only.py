"""Access records are append-only (issue #9).

PROTECT on the worker (no cascade erasing who read what), and on PostgreSQL a trigger that
refuses UPDATE and DELETE on the table unless the transaction set ``crisi.retention = on``
(``SET LOCAL``, used only by ``PersonalDataAccess.objects.purge_older_than``). SQLite has no
such trigger: there the model and queryset refusals are the protection.
"""

import django.db.models.deletion
from django.db import migrations, models

CREATE = """
CREATE OR REPLACE FUNCTION workers_personaldataaccess_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('crisi.retention', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'personal data access records are append-only (% refused)', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS workers_personaldataaccess_append_only ON workers_personaldataaccess;
CREATE TRIGGER workers_personaldataaccess_append_only
    BEFORE UPDATE OR DELETE ON workers_personaldataaccess
    FOR EACH ROW EXECUTE FUNCTION workers_personaldataaccess_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS workers_personaldataaccess_append_only ON workers_personaldataaccess;
DROP FUNCTION IF EXISTS workers_personaldataaccess_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("workers", "0003_transition_field_labels"),
    ]

    operations = [
        migrations.AlterField(
            model_name="personaldataaccess",
            name="worker",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="identity_reads",
                to="workers.worker",
            ),
        ),
        migrations.RunPython(create_trigger, drop_trigger),
    ]
