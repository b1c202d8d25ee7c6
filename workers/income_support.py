"""Income-support lists in (issue #16 item 2): the workers of an authorised CIGS, as the
company sent them with the application or as INPS extracts them, into the matching procedure.

The list is read with an import profile (``workers.models.ImportProfile``: the source's
headers and formats). Every row names the company's tax code; the procedure is the one of that
company whose income support period overlaps the list's period, among those the user sees
(``crisi_portal.scoping.company_procedures``: one out of scope is as absent as one that does
not exist). The rows then go through the worker-list importer unchanged
(``workers.importers.import_workers``): all or nothing, every problem on its line, the same
file twice changes nothing.
"""

from django.utils.translation import gettext as _

from crisi_portal.imports import RowError
from crisi_portal.scoping import company_procedures
from workers.importers import WorkerImportResult, import_workers, read_rows

__all__ = ["import_income_support"]


def _day(value) -> str:
    return value.strftime("%d/%m/%Y")


def import_income_support(
    raw: bytes,
    *,
    filename: str,
    profile,
    user,
    dry_run: bool = False,
    accepted_warnings: str | None = None,
) -> WorkerImportResult:
    """Find the procedure an income-support list is about and import it there.

    ``result.procedure`` is the procedure found (None when none is, with the error saying
    why, on the line and column of the company's tax code). Raises ``UploadRefused`` for a
    file over a limit of the upload guard, as the worker-list import does.
    """
    result, rows, parser = read_rows(raw, filename=filename, profile=profile)
    if parser is None or not result.ok:
        return result
    if "company_tax_code" not in parser.columns:
        result.errors.append(
            RowError(
                result.header_line or 1,
                None,
                _(
                    "The list has no column for the company's tax code (%(column)s): choose "
                    "the procedure and import the list from its workers' page."
                )
                % {"column": profile.columns.get("company_tax_code") or _("none in the profile")},
            )
        )
        return result
    first = rows[0]
    company = first.values["company_tax_code"]
    for row in rows[1:]:
        if row.values["company_tax_code"] != company:
            parser.error(
                row.line,
                "company_tax_code",
                _(
                    "The list is about company %(first)s (line %(line)d); this row names "
                    "%(other)s: one company per list."
                )
                % {"first": company, "line": first.line, "other": row.values["company_tax_code"]},
            )
    if not result.ok:
        return result
    starts = [r.values["period_start"] for r in rows if "period_start" in r.values]
    ends = [r.values["period_end"] for r in rows if "period_end" in r.values]
    start, end = (min(starts) if starts else None), (max(ends) if ends else None)
    found = list(company_procedures(user, company, start, end)[:11])
    if len(found) != 1:
        if start and end:
            period = _("from %(start)s to %(end)s") % {"start": _day(start), "end": _day(end)}
        elif start or end:
            period = _("on %(day)s") % {"day": _day(start or end)}
        else:
            period = _("at any time")
        if not found:
            message = _("No procedure of company %(code)s has income support %(period)s.") % {
                "code": company,
                "period": period,
            }
        else:
            message = _(
                "Several procedures of company %(code)s have income support %(period)s "
                "(%(ids)s): import the list from the workers' page of the one it is about."
            ) % {
                "code": company,
                "period": period,
                "ids": ", ".join(p.external_id for p in found[:10]),
            }
        parser.error(first.line, "company_tax_code", message)
        return result
    return import_workers(
        found[0],
        raw,
        filename=filename,
        user=user,
        dry_run=dry_run,
        accepted_warnings=accepted_warnings,
        profile=profile,
    )
