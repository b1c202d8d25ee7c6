from django.urls import path, re_path

from pal.views import money, network, operator, region, review, step3

app_name = "pal"

urlpatterns = [
    # --- operator ---
    path("operator/", operator.OperatorHomeView.as_view(), name="operator_home"),
    path("operator/find/", operator.WorkerFindView.as_view(), name="worker_find"),
    path("doti/<int:pk>/", operator.DoteDetailView.as_view(), name="dote_detail"),
    path("doti/<int:pk>/pip/new/", operator.PIPCreateView.as_view(), name="pip_create"),
    path("doti/<int:pk>/budget/", operator.PIPBudgetView.as_view(), name="pip_budget"),
    path("pips/<int:pk>/", operator.PIPDetailView.as_view(), name="pip_detail"),
    path("pips/<int:pk>/print.pdf", operator.PIPPrintView.as_view(), name="pip_print"),
    path("pips/<int:pk>/edit/", operator.PIPUpdateView.as_view(), name="pip_update"),
    path(
        "pips/<int:pk>/certification/",
        operator.CertificationCreateView.as_view(),
        name="certification_create",
    ),
    re_path(
        r"^pips/(?P<pk>[0-9]+)/(?P<action>submit|start|conclude|withdraw)/$",
        operator.PIPActionView.as_view(),
        name="pip_action",
    ),
    path("services/<int:pk>/report/", operator.ServiceReportView.as_view(), name="service_report"),
    # --- review ---
    path("review/", review.ReviewQueueView.as_view(), name="review_queue"),
    path("review/<int:pk>/", review.ReviewPIPView.as_view(), name="review_pip"),
    path("review/<int:pk>/approve/", review.ApprovePIPView.as_view(), name="review_pip_approve"),
    path("review/<int:pk>/return/", review.ReturnPIPView.as_view(), name="review_pip_return"),
    # --- region ---
    path("measures/", region.MeasureListView.as_view(), name="measure_list"),
    path("measures/new/", region.MeasureFormView.as_view(), name="measure_create"),
    path("measures/<int:pk>/edit/", region.MeasureFormView.as_view(), name="measure_update"),
    path("operators/", region.OperatorListView.as_view(), name="operator_list"),
    path("operators/new/", region.OperatorFormView.as_view(), name="operator_create"),
    path("operators/<int:pk>/edit/", region.OperatorFormView.as_view(), name="operator_update"),
    path("networks/", region.NetworkListView.as_view(), name="network_list"),
    path("networks/new/", region.NetworkFormView.as_view(), name="network_create"),
    path("networks/<int:pk>/", region.NetworkDetailView.as_view(), name="network_detail"),
    path("networks/<int:pk>/edit/", region.NetworkFormView.as_view(), name="network_update"),
    # --- STEP 3 meetings (issue #14 item 2)
    path("step3/", step3.Step3ListView.as_view(), name="step3_list"),
    path("step3/new/", step3.Step3FormView.as_view(), name="step3_create"),
    path("step3/<int:pk>/", step3.Step3DetailView.as_view(), name="step3_detail"),
    path("step3/<int:pk>/edit/", step3.Step3FormView.as_view(), name="step3_update"),
    path("step3/<int:pk>/invite/", step3.Step3InviteView.as_view(), name="step3_invite"),
    path(
        "step3/<int:pk>/attendance/",
        step3.Step3AttendanceView.as_view(),
        name="step3_attendance",
    ),
    path("step3/<int:pk>/move/", step3.Step3MoveView.as_view(), name="step3_move"),
    path("step3/<int:pk>/letters.pdf", step3.Step3LettersView.as_view(), name="step3_letters"),
    # --- a network's members and the services they deliver (source 003) ---
    path(
        "networks/<int:pk>/services/",
        network.NetworkServicesView.as_view(),
        name="network_services",
    ),
    path(
        "networks/<int:pk>/services/report/",
        network.NetworkServiceReportView.as_view(),
        name="network_service_report",
    ),
    path("networks/<int:pk>/shares/", network.NetworkShareView.as_view(), name="network_share"),
    # --- money (issue #15): spending, funding sources, a Dote's ledger and payments ---
    path("spending/", money.SpendingView.as_view(), name="spending"),
    path("funds/", money.FundListView.as_view(), name="fund_list"),
    path("funds/new/", money.FundFormView.as_view(), name="fund_create"),
    path("funds/<int:pk>/edit/", money.FundFormView.as_view(), name="fund_update"),
    path("measures/<int:pk>/funding/", money.MeasureFundingView.as_view(), name="measure_funding"),
    path("doti/<int:pk>/ledger/", money.DoteLedgerView.as_view(), name="dote_ledger"),
    path("doti/<int:pk>/payments/", money.PaymentCreateView.as_view(), name="payment_create"),
]
