"""The glossary: what the portal's words mean (steps, families, periods, measures).

Open to every signed-in user and linked from the pages that use the terms. The lists come from
where the portal keeps them (the enums, the measures and exemption reasons in the database), so
the glossary cannot drift from what the forms offer.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from cases.enums import GUIDELINE_LETTERS, Family
from monitoring.enums import ReportKind
from monitoring.periods import EXAMPLES
from pal.models import Measure
from workers.enums import STEP_SHORT_LABELS, Step
from workers.models import ExemptionReason

STEP_MEANINGS = {
    Step.STEP_1: _(
        "The province's crisis unit has taken the worker in charge (presa in carico): the "
        "worker is on the procedure's list and the unit follows them from now on."
    ),
    Step.STEP_2: _(
        "The instruments best suited to the company and its workers have been determined "
        "(e.g. Dote Unica Lavoro, Azioni di rete, training)."
    ),
    Step.STEP_3: _(
        "The worker has attended a meeting, often in a group, where the active labour policies "
        "(PAL) available to them were explained."
    ),
    Step.STEP_4: _(
        "A PAL has been activated for the worker: a measure, with its Dote and personal plan "
        "(PIP) when there is one."
    ),
    Step.NO_PAL: _(
        "The worker is exempted from active policies, for a reason from the list below and a "
        "note (reachable from any step)."
    ),
}
FAMILY_MEANINGS = {
    Family.CIGS_MINISTERIALE: _(
        "Extraordinary wage support (CIGS) authorised by the Ministry of Labour, for companies "
        "in crisis, restructuring or reorganisation."
    ),
    Family.CIGS_REGIONALE: _(
        "Extraordinary wage support examined at regional level (guidelines B and C of the "
        "Region's procedures)."
    ),
    Family.LICENZIAMENTO_COLLETTIVO: _(
        "A collective dismissal procedure (Law 223/1991): the workers leave the company and "
        "receive NASpI."
    ),
}
PERIOD_MEANINGS = {
    ReportKind.BIMONTHLY: _(
        "Two months: B1 is January–February, B2 March–April … B6 November–December. "
        "Bimonthly reports go to the provinces."
    ),
    ReportKind.QUARTERLY: _(
        "Three months: Q1 is January–March … Q4 October–December. The quarterly PAL "
        "monitoring counts workers by step."
    ),
    ReportKind.ANNUAL: _("The calendar year, for the Region's per-province table."),
    ReportKind.PAL_MONITORING: _(
        "A quarter (2025-Q3) or a calendar year (2025): the PAL monitoring report follows the "
        "workers from informed to re-employed, as they stood on the period's last day."
    ),
}
TERMS = (
    (
        _("Nucleo Crisi"),
        _(
            "The provincial crisis and active labour policy unit (Nucleo Territoriale Crisi e "
            "Politiche Attive): it takes the workers of a procedure in charge."
        ),
    ),
    (
        _("Procedure"),
        _(
            "A company's crisis procedure (CIGS or collective dismissal), with its production "
            "units in one or more provinces; the lead province is the one of the company's main "
            "unit."
        ),
    ),
    (
        _("Cohort"),
        _(
            "A group of workers of one procedure handled together: same instrument, same group "
            "meetings."
        ),
    ),
    (_("PAL"), _("Active labour policies (politiche attive del lavoro).")),
    (
        _("Dote"),
        _("A worker's budget under one measure, held by the accredited operator the worker chose."),
    ),
    (
        _("PIP"),
        _(
            "The personal plan (Piano di Intervento Personalizzato) an operator files against a "
            "Dote: the services and their cost. The province reviews it."
        ),
    ),
    (
        _("Accredited operator"),
        _(
            "A public or private organisation accredited by the Region for labour or training "
            "services; employment centres (CPI) are public operators."
        ),
    ),
    (
        _("Network"),
        _(
            "Partners (operators, training bodies) that run a collective relocation together under "
            "a lead partner."
        ),
    ),
    (
        _("Cruscotto"),
        _(
            "The Region's list of the hardest cases: high complexity, support ending, workers "
            "still at the first steps."
        ),
    ),
    (
        _("High complexity"),
        _(
            "A procedure the province flags as hard (many workers, several provinces, a sector in "
            "decline), with a note saying why."
        ),
    ),
)


class GlossaryView(LoginRequiredMixin, TemplateView):
    template_name = "monitoring/glossary.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            steps=[(s.value, STEP_SHORT_LABELS[s], s.label, STEP_MEANINGS[s]) for s in Step],
            families=[(f.label, GUIDELINE_LETTERS[f], FAMILY_MEANINGS[f]) for f in Family],
            periods=[(k.label, EXAMPLES[k], PERIOD_MEANINGS[k]) for k in ReportKind],
            measures=Measure.objects.order_by("name"),
            exemptions=ExemptionReason.objects.filter(is_active=True),
            terms=TERMS,
        )
        return context
