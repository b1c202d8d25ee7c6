"""Notifications (issue #13): who is told of what, through which channel, once; the bell, the
list, marking read and the preferences; e-mails in the recipient's language with plain-text
and HTML bodies and no worker's personal data."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from cases import services as cases_services
from crisi_portal import notifications
from crisi_portal.models import Channel, Notification, NotificationKind, NotificationPreference
from crisi_portal.tasks import notification_deliver, notification_digest
from monitoring import services as monitoring_services
from pal.services import pip_approve, pip_return, pip_save, pip_submit
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.factories import UserFactory
from tests.pal.factories import DoteFactory, operator_staff, service
from tests.workers.factories import InvolvementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def filed(staff_bg, django_capture_on_commit_callbacks):
    """A BG worker's PIP, filed by a member of its operator's staff and submitted."""
    unit = ProductionUnitFactory(procedure=CrisisProcedureFactory(lead="BG"))
    dote = DoteFactory(involvement=InvolvementFactory(unit=unit))
    filer = operator_staff(dote.operator, username="filer", language="it")
    pip = pip_save(user=filer, dote=dote, objectives="Ricollocazione", services=[service()])
    with django_capture_on_commit_callbacks(execute=True):
        pip = pip_submit(user=filer, pip=pip)
    return pip, filer


def test_a_submitted_pip_is_told_to_its_provinces_reviewers_only(filed, staff_bg, staff_mi):
    pip, filer = filed
    told = Notification.objects.get(kind=NotificationKind.PIP_SUBMITTED)
    assert told.recipient == staff_bg
    assert told.url == reverse("pal:review_pip", args=[pip.pk])
    assert not Notification.objects.filter(recipient__in=[staff_mi, filer]).exists()
    # E-mail at once by default: plain text and HTML, a link, no worker's name or fiscal code.
    (message,) = mail.outbox
    assert message.to == [staff_bg.email]
    worker = pip.dote.involvement.worker
    html = message.alternatives[0][0]
    assert f"https://crisi.example.org{told.url}" in message.body or told.url in message.body
    assert told.url in html and message.alternatives[0][1] == "text/html"
    for personal in (worker.fiscal_code, worker.last_name):
        assert personal not in message.body and personal not in html
        assert personal not in message.subject


@pytest.mark.parametrize("decision", ["approve", "return"])
def test_the_decision_is_told_to_the_operator_who_filed_in_their_language(
    filed, staff_bg, decision, django_capture_on_commit_callbacks
):
    pip, filer = filed
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        if decision == "approve":
            pip_approve(user=staff_bg, pip=pip, activate_step_4=False)
        else:
            pip_return(user=staff_bg, pip=pip, note="Mancano le date.")
    kind = {"approve": NotificationKind.PIP_APPROVED, "return": NotificationKind.PIP_RETURNED}
    told = Notification.objects.get(kind=kind[decision])
    assert told.recipient == filer
    assert told.url == reverse("pal:pip_detail", args=[pip.pk])
    (message,) = mail.outbox
    assert message.to == [filer.email]
    assert f"PIP {pip.reference}" in message.subject
    # The filer reads Italian: the e-mail is in Italian whatever the sender's language.
    assert "Apri" in message.body or "portale" in message.body


def test_delivery_is_idempotent_and_respects_off_and_in_app(staff_bg, staff_mi):
    NotificationPreference.objects.create(
        user=staff_mi, kind=NotificationKind.MEETING, channel=Channel.OFF
    )
    NotificationPreference.objects.create(
        user=staff_bg, kind=NotificationKind.MEETING, channel=Channel.IN_APP
    )
    args = ([staff_bg.pk, staff_mi.pk], NotificationKind.MEETING, "meeting:1", {}, "/x/")
    assert notification_deliver.delay(*args).get() == 0
    assert notification_deliver.delay(*args).get() == 0
    assert list(Notification.objects.values_list("recipient", flat=True)) == [staff_bg.pk]
    assert mail.outbox == []


def test_the_daily_digest_sends_one_mail_per_user_once(staff_bg):
    NotificationPreference.objects.create(
        user=staff_bg, kind=NotificationKind.MEETING, channel=Channel.DIGEST
    )
    for n in (1, 2):
        notifications.deliver(
            [staff_bg.pk], NotificationKind.MEETING, f"meeting:{n}", {"date": "2026-12-20"}, "/m/"
        )
    assert mail.outbox == []
    assert notification_digest.delay().get() == 1
    assert notification_digest.delay().get() == 0
    (message,) = mail.outbox
    assert message.body.count("/m/") == 2
    assert "20/12/2026" in message.body or "12/20/2026" in message.body


def test_a_user_without_an_address_gets_the_notification_only(staff_bg):
    staff_bg.email = ""
    staff_bg.save()
    assert notifications.deliver([staff_bg.pk], NotificationKind.MEETING, "k", {}, "/m/") == 0
    assert Notification.objects.get().emailed_at is not None


def test_a_meeting_is_told_to_the_officers_of_its_procedures_provinces(
    staff_bg, staff_mi, region, django_capture_on_commit_callbacks
):
    procedure = CrisisProcedureFactory(lead="MI")
    ProductionUnitFactory(procedure=procedure, province_id="BG")
    staff_va = UserFactory(username="staff_va", province_staff=True, provinces=["VA"])
    with django_capture_on_commit_callbacks(execute=True):
        meeting = cases_services.meeting_create(
            user=region,
            data={"kind": "regionale", "date": datetime.date(2026, 12, 20), "province": None},
            procedures=[procedure],
        )
    told = set(Notification.objects.values_list("recipient", flat=True))
    assert told == {staff_bg.pk, staff_mi.pk}
    assert staff_va.pk not in told
    assert Notification.objects.filter(url=meeting.get_absolute_url()).count() == 2


def test_deadlines_are_told_once_per_deadline(
    staff_bg, settings, django_capture_on_commit_callbacks
):
    today = datetime.date(2026, 12, 6)
    near = CrisisProcedureFactory(lead="BG", highly_complex=True, end_date=today.replace(day=30))
    CrisisProcedureFactory(lead="BG", highly_complex=True, end_date=datetime.date(2027, 3, 1))
    CrisisProcedureFactory(lead="BG", end_date=today.replace(day=20))  # not on the cruscotto
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert monitoring_services.deadline_notify(today) == 1
    told = Notification.objects.get(kind=NotificationKind.DEADLINE)
    assert told.recipient == staff_bg
    assert told.params["procedure"] == near.external_id
    assert len(mail.outbox) == 1


def test_a_report_is_told_to_whom_asked_for_it(region, django_capture_on_commit_callbacks):
    from monitoring.models import ReportRun

    run = ReportRun.objects.create(
        kind="annual", period="2025", format="json", triggered_by="user", requested_by=region
    )
    with django_capture_on_commit_callbacks(execute=True):
        monitoring_services.report_run_notify_users(run)
    told = Notification.objects.get()
    assert told.recipient == region
    assert told.url == reverse("monitoring:report_detail", args=[run.pk])


def test_a_scheduled_provincial_report_is_told_to_the_provinces_officers(
    staff_bg, django_capture_on_commit_callbacks
):
    from monitoring.models import ReportRun

    run = ReportRun.objects.create(
        kind="annual", period="2025", format="json", triggered_by="schedule", province_id="BG"
    )
    with django_capture_on_commit_callbacks(execute=True):
        monitoring_services.report_run_notify_users(run)
    assert Notification.objects.get().recipient == staff_bg


# --- Pages ---------------------------------------------------------------------------------------


def make(user, n: int = 1, **kwargs) -> list[Notification]:
    return [
        Notification.objects.create(
            recipient=user,
            kind=NotificationKind.PIP_APPROVED,
            key=f"k{i}-{kwargs}",
            params={"pip": 40 + i},
            url=f"/pal/pips/{40 + i}/",
            channel=Channel.IN_APP,
            **kwargs,
        )
        for i in range(n)
    ]


def test_the_bell_counts_unread_and_the_list_marks_them_read(client, operator_user, staff_bg):
    make(operator_user, 3)
    make(operator_user, 1, read_at=timezone.now())
    (other,) = make(staff_bg)
    client.force_login(operator_user)
    home = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    assert "data-unread-count>3<" in home.text
    listing = client.get(reverse("notification_list"), HTTP_ACCEPT_LANGUAGE="en")
    assert "PIP 40 was approved." in listing.text
    assert listing.text.count("New</span>") == 3
    first = operator_user.notifications.filter(read_at__isnull=True).first()
    response = client.post(reverse("notification_open", args=[first.pk]))
    assert response.status_code == 302 and response.url == first.url
    assert notifications.unread(operator_user).count() == 2
    # Someone else's notification does not exist for this user.
    assert client.post(reverse("notification_open", args=[other.pk])).status_code == 404
    assert client.get(reverse("notification_open", args=[first.pk])).status_code == 405
    response = client.post(reverse("notification_read_all"), follow=True)
    assert notifications.unread(operator_user).count() == 0
    assert "data-unread-count" not in response.text
    assert notifications.unread(staff_bg).count() == 1


def test_a_link_to_another_site_goes_home(client, operator_user):
    (notification,) = make(operator_user)
    Notification.objects.filter(pk=notification.pk).update(url="//evil.example/")
    client.force_login(operator_user)
    assert client.post(reverse("notification_open", args=[notification.pk])).url == "/"


def test_an_unknown_kind_is_shown_by_its_label(operator_user):
    (notification,) = make(operator_user)
    notification.params = {}
    assert notifications.message(notification) == str(NotificationKind.PIP_APPROVED.label)
    notification.params = {"pip": 3, "date": "not a date"}
    assert notifications.message(notification) == "PIP 3 was approved."


def test_preferences_are_saved_and_bad_input_changes_nothing(client, staff_bg):
    client.force_login(staff_bg)
    url = reverse("notification_preferences")
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "A PIP is submitted for my review" in page.text
    data = {kind: Channel.EMAIL for kind in NotificationKind.values}
    data |= {"language": "en", NotificationKind.MEETING: Channel.DIGEST}
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "Your notification preferences are saved." in response.text
    assert notifications.channels(staff_bg)[NotificationKind.MEETING] == Channel.DIGEST
    staff_bg.refresh_from_db()
    assert staff_bg.language == "en"
    refused = client.post(
        url, {**data, NotificationKind.MEETING: "loud"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.status_code == 422
    assert "loud is not one of the available choices" in refused.text
    assert notifications.channels(staff_bg)[NotificationKind.MEETING] == Channel.DIGEST


def test_the_pages_need_a_login(client):
    for name in ("notification_list", "notification_preferences"):
        assert client.get(reverse(name)).status_code == 302


def test_no_delivery_is_sent_for_nobody(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        notifications.notify([None], NotificationKind.MEETING, key="k", url="/")
    assert callbacks == []
