"""End-to-end notifications and to-do list (issue #13) in headless Chromium.

``operatore.a`` submits a PIP; ``nucleo.bg`` sees the bell's count and the PIP in the to-do
list of the home page, opens it from there and approves it; the operator then sees the bell's
count, the notification in the list, and opens the PIP from it. Each told person also got an
e-mail (the live server runs the tasks in-process, into the test mailer). Screenshots land in
``test-results/browser/notify-*.png``.
"""

import datetime
from collections.abc import Callable
from pathlib import Path

from django.core import mail
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from crisi_portal.models import Notification, NotificationKind
from pal.enums import PIPStatus
from pal.models import PIP
from pal.services import pip_save
from tests.browser.test_pal import OBJECTIVES, _operator_user, _worker_at_step_3
from tests.pal.factories import DoteFactory, service


def test_a_submitted_pip_reaches_the_reviewer_and_its_approval_the_operator(
    page, live_server, make_officer, login, screenshot: Callable[[str], Path]
):
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: console.append(str(exc)))

    today = timezone.localdate()
    involvement = _worker_at_step_3(today)
    operatore = _operator_user()
    nucleo = make_officer("nucleo.bg", "BG")
    dote = DoteFactory(
        involvement=involvement,
        operator_id=operatore.operator_id,
        valid_from=today - datetime.timedelta(days=10),
        valid_until=today + datetime.timedelta(days=300),
    )
    pip = pip_save(
        user=operatore,
        dote=dote,
        objectives=OBJECTIVES,
        services=[
            service(
                planned_start=today + datetime.timedelta(days=5),
                planned_end=today + datetime.timedelta(days=60),
            )
        ],
    )
    bell = page.locator(".portal-bell")

    def log_out() -> None:
        page.get_by_role("button", name="Log out").click()
        expect(page.get_by_role("link", name="Log in")).to_be_visible()

    # --- 1. The operator submits the PIP --------------------------------------------------
    login("operatore.a")
    expect(bell.locator("[data-unread-count]")).to_have_count(0)
    page.goto(f"{live_server.url}/pal/pips/{pip.pk}/")
    page.get_by_role("button", name="Submit to the province").click()
    expect(page.get_by_role("status").first).to_have_text("The PIP is now submitted.")
    log_out()

    # --- 2. The reviewer sees the bell and the to-do entry, and approves from it -----------
    login("nucleo.bg")
    expect(bell.locator("[data-unread-count]")).to_have_text("1 unread")
    review = page.locator("#todo-review")
    expect(review.locator("[data-todo-count]")).to_have_text("1")
    main_nav = page.get_by_role("navigation", name="Main navigation")
    expect(main_nav.get_by_role("link", name="Home")).to_contain_text("1")
    screenshot("notify-1-reviewer-home")
    review.get_by_role("link", name=f"PIP {pip.reference}").click()
    page.get_by_role("button", name="Approve the PIP").click()
    expect(page.get_by_role("status").first).to_contain_text(f"PIP {pip.reference} approved")
    # The home page counts again at once (its figures refresh the menu's).
    page.goto(f"{live_server.url}/")
    expect(page.locator("#todo-review [data-todo-count]")).to_have_text("0")
    log_out()

    # --- 3. The operator sees the notification and opens the PIP from it -----------------
    cache.clear()
    login("operatore.a")
    expect(bell.locator("[data-unread-count]")).to_have_text("1 unread")
    bell.click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    item = page.locator(".portal-notifications li").first
    expect(item).to_contain_text(f"PIP {pip.reference} was approved.")
    screenshot("notify-2-operator-list")
    item.get_by_role("button", name="Open").click()
    expect(page.get_by_role("heading", name=f"PIP {pip.reference}", level=1)).to_contain_text(
        "Approved"
    )
    expect(bell.locator("[data-unread-count]")).to_have_count(0)

    # --- 4. What was recorded and sent -------------------------------------------------------
    pip = PIP.objects.get(pk=pip.pk)
    assert pip.status == PIPStatus.APPROVATO
    told = sorted(Notification.objects.values_list("recipient", "kind"))
    assert told == sorted(
        [(nucleo.pk, NotificationKind.PIP_SUBMITTED), (operatore.pk, NotificationKind.PIP_APPROVED)]
    )
    assert sorted(m.to[0] for m in mail.outbox) == sorted([nucleo.email, operatore.email])
    assert console == []
