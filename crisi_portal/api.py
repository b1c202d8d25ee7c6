"""The one API router: every app registers its viewsets here, under /api/v1/."""

from rest_framework.routers import DefaultRouter

from cases.api.views import (
    AgreementViewSet,
    CompanyViewSet,
    MeetingViewSet,
    ProcedureViewSet,
    UnitViewSet,
)
from crisi_portal.webhooks_api import WebhookEndpointViewSet
from monitoring.api.views import (
    DashboardViewSet,
    OperatorResultsViewSet,
    PlanViewSet,
    ReportRunViewSet,
)
from pal.api.views import (
    CertificationViewSet,
    DoteViewSet,
    FundViewSet,
    MeasureViewSet,
    NetworkServiceViewSet,
    NetworkShareViewSet,
    NetworkViewSet,
    OperatorViewSet,
    PIPViewSet,
    QualificationViewSet,
)
from workers.api.views import CohortViewSet, InvolvementViewSet, WorkerViewSet

router = DefaultRouter()
router.register("procedures", ProcedureViewSet, basename="procedure")
router.register("units", UnitViewSet, basename="unit")
router.register("companies", CompanyViewSet, basename="company")
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("agreements", AgreementViewSet, basename="agreement")
router.register("workers", WorkerViewSet, basename="worker")
router.register("cohorts", CohortViewSet, basename="cohort")
router.register("involvements", InvolvementViewSet, basename="involvement")
router.register("operators", OperatorViewSet, basename="operator")
router.register("measures", MeasureViewSet, basename="measure")
router.register("doti", DoteViewSet, basename="dote")
router.register("pips", PIPViewSet, basename="pip")
router.register("networks", NetworkViewSet, basename="network")
router.register("network-shares", NetworkShareViewSet, basename="network-share")
router.register("network-services", NetworkServiceViewSet, basename="network-service")
router.register("qualifications", QualificationViewSet, basename="qualification")
router.register("funding-sources", FundViewSet, basename="fund")
router.register("certifications", CertificationViewSet, basename="certification")
router.register("dashboard", DashboardViewSet, basename="dashboard")
router.register("operator-results", OperatorResultsViewSet, basename="operator-results")
router.register("reports", ReportRunViewSet, basename="report")
router.register("plans", PlanViewSet, basename="plan")
router.register("webhooks", WebhookEndpointViewSet, basename="webhook")
