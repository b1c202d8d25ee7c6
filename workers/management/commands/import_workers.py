from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cases.models import CrisisProcedure
from crisi_portal.upload_guard import UploadRefused, read_path
from workers.importers import import_workers
from workers.models import ImportProfile


def profile_named(slug: str | None) -> ImportProfile | None:
    """The active import profile with this code (None: columns recognised by their names)."""
    if not slug:
        return None
    try:
        return ImportProfile.objects.get(slug=slug, is_active=True)
    except ImportProfile.DoesNotExist as exc:
        known = ", ".join(
            ImportProfile.objects.filter(is_active=True).values_list("slug", flat=True)
        )
        raise CommandError(
            _("No import profile %(slug)s; the profiles are: %(known)s.")
            % {"slug": slug, "known": known or _("none")}
        ) from exc


def write_result(command: BaseCommand, file: Path, result, *, dry_run: bool) -> None:
    """The mapping, the problems (then CommandError) or the summary of a worker-list import."""
    if result.mapping:
        command.stdout.write(_("Columns:"))
        for column, name in result.mapping:
            command.stdout.write(f"  {column} → {name or _('(ignored)')}")
    if not result.ok:
        for error in result.errors:
            command.stderr.write(f"{file}:{error}")
        raise CommandError(
            _("%(n)d problems found: nothing was imported.") % {"n": len(result.errors)}
        )
    summary = result.summary()
    verb = _("would be") if dry_run else _("were")
    command.stdout.write(
        _(
            "%(rows)d workers: %(create)d taken in charge, %(update)d updated, "
            "%(unchanged)d unchanged; %(new_workers)d new workers, %(new_cohorts)d new "
            "cohorts (%(verb)s applied)"
        )
        % {**summary, "verb": verb}
    )
    for change in result.changes:
        if change.action == "update":
            fields = ", ".join(change.changed_fields)
            command.stdout.write(f"  line {change.line}: update {change.worker}: {fields}")
        for note in change.notes:
            command.stdout.write(f"  line {change.line}: {change.worker}: {note}")


class Command(BaseCommand):
    help = (
        "Import a company's worker list (CSV or XLSX) into a procedure. Columns are mapped by "
        "their Italian names; a file with any bad row imports nothing and lists every bad line."
    )

    def add_arguments(self, parser):
        parser.add_argument("procedure", help="External id of the procedure.")
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and show what would change."
        )
        parser.add_argument(
            "--profile",
            help="Code of the import profile (the source's headers and formats); "
            "without it columns are recognised by their names.",
        )

    def handle(self, *args, procedure: str, file: Path, dry_run: bool, **options):
        profile = profile_named(options.get("profile"))
        try:
            target = CrisisProcedure.objects.get(external_id=procedure)
        except CrisisProcedure.DoesNotExist as exc:
            raise CommandError(_("No procedure %(id)s.") % {"id": procedure}) from exc
        try:
            raw = read_path(file)
            result = import_workers(
                target, raw, filename=file.name, dry_run=dry_run, profile=profile
            )
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from exc
        except UploadRefused as refused:
            raise CommandError(f"{file}:{refused}") from refused

        write_result(self, file, result, dry_run=dry_run)
