"""The one API router: every app registers its viewsets here, under /api/v1/."""

from rest_framework.routers import DefaultRouter

from cases.api.views import CompanyViewSet, MeetingViewSet, ProcedureViewSet, UnitViewSet
from monitoring.api.views import DashboardViewSet, PlanViewSet, ReportRunViewSet
from pal.api.views import (
    DoteViewSet,
    MeasureViewSet,
    NetworkViewSet,
    OperatorViewSet,
    PIPViewSet,
)
from workers.api.views import CohortViewSet, InvolvementViewSet, WorkerViewSet

router = DefaultRouter()
router.register("procedures", ProcedureViewSet, basename="procedure")
router.register("units", UnitViewSet, basename="unit")
router.register("companies", CompanyViewSet, basename="company")
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("workers", WorkerViewSet, basename="worker")
router.register("cohorts", CohortViewSet, basename="cohort")
router.register("involvements", InvolvementViewSet, basename="involvement")
router.register("operators", OperatorViewSet, basename="operator")
router.register("measures", MeasureViewSet, basename="measure")
router.register("doti", DoteViewSet, basename="dote")
router.register("pips", PIPViewSet, basename="pip")
router.register("networks", NetworkViewSet, basename="network")
router.register("dashboard", DashboardViewSet, basename="dashboard")
router.register("reports", ReportRunViewSet, basename="report")
router.register("plans", PlanViewSet, basename="plan")
