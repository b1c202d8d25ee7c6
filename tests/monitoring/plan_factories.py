"""Re-employment plans for tests: ``plan(...)`` with its parts, and the plan form's POST data."""

import datetime
from decimal import Decimal

from cases.models import Province
from monitoring.enums import PartnerRole, PlanStatus
from monitoring.models import PlanIndicator, PlanPartner, PlanTargetGroup, ReemploymentPlan

D = datetime.date
FIRST, LAST = D(2025, 1, 1), D(2025, 6, 30)
FORMSET_PREFIXES = {
    "partners": "partners",
    "phases": "phases",
    "budget": "budget",
    "target_groups": "groups",
    "indicators": "indicators",
}


def plan(
    province: str = "BG",
    first: datetime.date = FIRST,
    last: datetime.date = LAST,
    **fields,
) -> ReemploymentPlan:
    fields.setdefault("title", f"Piano {province}")
    return ReemploymentPlan.objects.create(
        province=Province.objects.get(code=province), period_from=first, period_to=last, **fields
    )


def indicator(of: ReemploymentPlan, metric: str, target=Decimal(10), **fields) -> PlanIndicator:
    return PlanIndicator.objects.create(plan=of, metric=metric, target=target, **fields)


def group(of: ReemploymentPlan, description: str = "Gruppo", **criteria) -> PlanTargetGroup:
    return PlanTargetGroup.objects.create(plan=of, description=description, **criteria)


def partner(of: ReemploymentPlan, name: str = "CCIAA", **fields) -> PlanPartner:
    return PlanPartner.objects.create(plan=of, role=PartnerRole.CCIAA, name=name, **fields)


def plan_form_data(existing: ReemploymentPlan | None = None, **parts) -> dict:
    """The POST of the plan form: the plan's fields (``plan`` overrides them) and each part's
    rows (``phases=[{...}]``, prefixed); the existing parts of ``existing`` are sent unchanged
    first, as the page sends them."""
    fields = {
        "title": "Piano di Azione provinciale per il Reimpiego",
        "province": "BG",
        "period_from": "2025-01-01",
        "period_to": "2025-12-31",
        "status": PlanStatus.DRAFT,
        "approved_on": "",
        "notes": "",
    }
    if existing is not None:
        fields.update(
            title=existing.title,
            province=existing.province_id,
            period_from=existing.period_from.isoformat(),
            period_to=existing.period_to.isoformat(),
            status=existing.status,
            approved_on=existing.approved_on.isoformat() if existing.approved_on else "",
            notes=existing.notes,
        )
    fields.update(parts.pop("plan", {}))
    data = dict(fields)
    for name, prefix in FORMSET_PREFIXES.items():
        rows = []
        initial = 0
        if existing is not None:
            related = getattr(existing, {"budget": "budget"}.get(name, name)).all()
            for row in related:
                values = {
                    field.name: getattr(row, field.attname)
                    for field in row._meta.concrete_fields
                    if field.name not in ("plan", "created_at", "updated_at")
                }
                rows.append({k: "" if v is None else v for k, v in values.items()})
            initial = len(rows)
        rows.extend(parts.get(name, []))
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        data[f"{prefix}-INITIAL_FORMS"] = str(initial)
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = "1000"
        for index, row in enumerate(rows):
            for field, value in row.items():
                data[f"{prefix}-{index}-{field}"] = str(value)
    return data
