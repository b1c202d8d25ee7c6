"""Tables (issue #14 item 3): agenda kept in step with the procedures discussed, participants by
role, decisions and what followed them, the calendar, the iCalendar export and subscription,
and the counts per year and province."""

import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from cases import services, tables
from cases.enums import DecisionKind, MeetingKind, ParticipantRole
from cases.models import AgendaItem, CalendarFeed, Meeting, MeetingDecision, MeetingParticipant
from tests.cases.factories import CompanyFactory, CrisisProcedureFactory, MeetingFactory, province
from tests.pal.factories import NetworkFactory
from tests.workers.factories import InvolvementFactory
from workers.enums import Step
from workers.models import MoveKind, StepTransition

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
DAY = datetime.date(2025, 5, 6)


@pytest.fixture
def procedures(db):
    return {
        code: CrisisProcedureFactory(
            lead=code, with_unit=True, company=CompanyFactory(name=f"Azienda {code} S.p.A.")
        )
        for code in ("BG", "MI")
    }


@pytest.fixture
def bilateral(procedures, staff_bg):
    return services.meeting_create(
        user=staff_bg,
        data={"kind": MeetingKind.BILATERALE, "date": DAY, "province": province("BG")},
        procedures=[procedures["BG"]],
    )


@pytest.fixture
def regional(procedures, region):
    return services.meeting_create(
        user=region,
        data={"kind": MeetingKind.REGIONALE, "date": DAY},
        procedures=[procedures["BG"], procedures["MI"]],
    )


# --- agenda -----------------------------------------------------------------------------------


def test_the_agenda_follows_the_procedures_discussed(procedures, regional, region):
    assert list(regional.agenda.values_list("procedure_id", "position")) == [
        (procedures["BG"].pk, 1),
        (procedures["MI"].pk, 2),
    ]
    other = CrisisProcedureFactory(lead="BG", with_unit=True)
    services.meeting_update(
        user=region, meeting=regional, data={}, procedures=[procedures["MI"], other]
    )
    items = list(regional.agenda.values_list("procedure_id", "position"))
    assert {pk for pk, _ in items} == {procedures["MI"].pk, other.pk}
    assert max(position for _, position in items) == 3  # appended after the last one


def test_staff_order_and_topic_only_their_procedures_and_the_hidden_stay(
    procedures, regional, staff_bg, region
):
    # BG staff cannot change the Region's table at all.
    with pytest.raises(PermissionDenied):
        services.meeting_agenda_update(
            user=staff_bg, meeting=regional, items={procedures["BG"].pk: (5, "x")}
        )
    services.meeting_agenda_update(
        user=region,
        meeting=regional,
        items={procedures["MI"].pk: (1, "Esuberi; piano sociale"), procedures["BG"].pk: (2, "")},
    )
    ordered = [p.pk for p in tables.agenda(regional, region)]
    assert ordered == [procedures["MI"].pk, procedures["BG"].pk]
    assert [p.pk for p in tables.agenda(regional, staff_bg)] == [procedures["BG"].pk]


def test_a_meeting_made_outside_the_services_lists_its_procedures_last(procedures, region):
    meeting = MeetingFactory(regional=True, procedures=[procedures["BG"]])
    assert not AgendaItem.objects.filter(meeting=meeting).exists()
    assert [p.topic for p in tables.agenda(meeting, region)] == [""]


def test_an_agenda_item_of_a_procedure_not_discussed_is_refused(procedures, bilateral, staff_bg):
    with pytest.raises(ValidationError) as refused:
        services.meeting_agenda_update(
            user=staff_bg, meeting=bilateral, items={procedures["MI"].pk: (1, "x")}
        )
    assert "procedure" in refused.value.error_dict


# --- participants -----------------------------------------------------------------------------


def test_participants_are_rows_by_role(bilateral, staff_bg, client):
    services.meeting_participant_add(
        user=staff_bg,
        meeting=bilateral,
        role=ParticipantRole.SINDACATI,
        organisation="FIOM-CGIL",
        title="RSU",
    )
    client.force_login(staff_bg)
    response = client.post(
        reverse("cases:meeting_participants", args=[bilateral.pk]),
        {"role": "azienda", "organisation": "Azienda BG S.p.A.", "title": "HR director"},
    )
    assert response.status_code == 302
    assert list(bilateral.attendees.values_list("role", flat=True)) == ["sindacati", "azienda"]
    first = bilateral.attendees.first()
    client.post(
        reverse("cases:meeting_participants", args=[bilateral.pk]), {"remove": str(first.pk)}
    )
    assert list(bilateral.attendees.values_list("role", flat=True)) == ["azienda"]
    with pytest.raises(ValidationError):
        services.meeting_participant_add(
            user=staff_bg, meeting=bilateral, role="nobody", organisation="X"
        )


def test_old_free_text_participants_stay_readable(procedures, staff_bg, client):
    meeting = MeetingFactory(convened_by="BG", procedures=[procedures["BG"]])
    client.force_login(staff_bg)
    body = client.get(meeting.get_absolute_url(), **EN).content.decode()
    assert "Nucleo Crisi, RSU, Confindustria" in body


# --- decisions and what followed --------------------------------------------------------------


def move_to_step_2(involvement, day):
    StepTransition.objects.create(
        involvement=involvement,
        from_step=Step.STEP_1,
        to_step=Step.STEP_2,
        kind=MoveKind.FORWARD,
        effective_date=day,
    )


def decide(meeting, user, procedure, kind, **extra):
    return services.meeting_decision_add(
        user=user, meeting=meeting, procedure_id=procedure.pk, kind=kind, **extra
    )


def follow_up(decision):
    with translation.override("en"):  # the texts compared below are the English ones
        return tables.with_follow_ups([decision])[0].follow_up


def test_step_2_counts_moves_from_the_meeting_day_not_the_day_before(
    procedures, bilateral, staff_bg
):
    unit = procedures["BG"].units.first()
    before, same_day, after = (InvolvementFactory(unit=unit) for _ in range(3))
    decision = decide(bilateral, staff_bg, procedures["BG"], DecisionKind.STEP_2)
    assert follow_up(decision) is None
    move_to_step_2(before, DAY - datetime.timedelta(days=1))
    assert follow_up(decision) is None  # the day before was not the table's doing
    move_to_step_2(same_day, DAY)
    move_to_step_2(after, DAY + datetime.timedelta(days=30))
    found = follow_up(decision)
    assert "2 workers moved to STEP 2 since 06/05/2025" in found.text
    assert found.url == reverse("workers:procedure_workers", args=[procedures["BG"].pk])


def test_azioni_di_rete_finds_networks_active_from_the_meeting(procedures, bilateral, staff_bg):
    decision = decide(bilateral, staff_bg, procedures["BG"], DecisionKind.AZIONI_RETE)
    NetworkFactory(procedures=[procedures["BG"]], valid_from=DAY - datetime.timedelta(days=1))
    NetworkFactory(procedures=[procedures["MI"]], valid_from=DAY)
    assert follow_up(decision) is None
    NetworkFactory(procedures=[procedures["BG"]], valid_from=DAY)
    assert "1 network serving the procedure active from 06/05/2025" in follow_up(decision).text


def test_convene_a_bilateral_table_links_the_next_one(procedures, regional, region, staff_bg):
    decision = decide(regional, region, procedures["BG"], DecisionKind.TAVOLO_BILATERALE)
    MeetingFactory(convened_by="BG", procedures=[procedures["BG"]], date=DAY.replace(day=1))
    assert follow_up(decision) is None
    later = MeetingFactory(
        convened_by="BG", procedures=[procedures["BG"]], date=DAY + datetime.timedelta(days=20)
    )
    MeetingFactory(
        convened_by="BG", procedures=[procedures["BG"]], date=DAY + datetime.timedelta(days=40)
    )
    assert follow_up(decision).url == later.get_absolute_url()


def test_a_decision_is_on_a_procedure_of_the_agenda_the_user_sees(
    procedures, regional, region, staff_bg
):
    with pytest.raises(ValidationError):
        decide(regional, region, CrisisProcedureFactory(lead="BG"), DecisionKind.ALTRO)
    with pytest.raises(ValidationError) as refused:
        decide(
            regional,
            region,
            procedures["BG"],
            DecisionKind.ALTRO,
            due_on=DAY - datetime.timedelta(days=1),
        )
    assert "due_on" in refused.value.error_dict


def test_the_procedures_officers_mark_the_regions_decision_done(
    procedures, regional, region, staff_bg, staff_mi, client
):
    decision = decide(regional, region, procedures["BG"], DecisionKind.RICHIESTA_INFORMAZIONI)
    # MI staff see the regional table (their procedure is on it) but not the BG decision.
    with pytest.raises(ValidationError):
        services.meeting_decision_mark_done(
            user=staff_mi, meeting=regional, decision_id=decision.pk
        )
    client.force_login(staff_bg)
    response = client.post(
        reverse("cases:meeting_decisions", args=[regional.pk]), {"done": str(decision.pk)}
    )
    assert response.status_code == 302
    decision.refresh_from_db()
    assert decision.done_on is not None and decision.done_by == staff_bg
    page = client.get(procedures["BG"].get_absolute_url(), **EN).content.decode()
    assert "Request information from the company" in page
    client.force_login(staff_mi)
    page = client.get(regional.get_absolute_url(), **EN).content.decode()
    assert "Request information from the company" not in page


def test_the_meeting_form_records_a_decision(procedures, bilateral, staff_bg, client):
    client.force_login(staff_bg)
    response = client.post(
        reverse("cases:meeting_decisions", args=[bilateral.pk]),
        {
            "procedure": str(procedures["BG"].pk),
            "kind": "step_2",
            "text": "Tutti in STEP 2",
            "due_on": "2025-06-30",
        },
    )
    assert response.status_code == 302
    decision = MeetingDecision.objects.get()
    assert decision.due_on == datetime.date(2025, 6, 30)
    body = client.get(bilateral.get_absolute_url(), **EN).content.decode()
    assert "Tutti in STEP 2" in body and "Move the workers to STEP 2" in body


# --- calendar ---------------------------------------------------------------------------------


def test_month_grid_starts_on_monday_and_covers_the_month():
    weeks = tables.month_weeks(2025, 3, [])
    assert weeks[0][0].date == datetime.date(2025, 2, 24)
    assert weeks[-1][-1].date == datetime.date(2025, 4, 6)
    assert all(len(week) == 7 for week in weeks)
    assert tables.shift_month(datetime.date(2025, 12, 1), 1) == datetime.date(2026, 1, 1)
    assert tables.shift_month(datetime.date(2025, 1, 1), -1) == datetime.date(2024, 12, 1)


def test_calendar_month_boundaries(procedures, staff_bg, client):
    last_of_march = MeetingFactory(
        convened_by="BG", procedures=[procedures["BG"]], date=datetime.date(2025, 3, 31)
    )
    first_of_april = MeetingFactory(
        convened_by="BG", procedures=[procedures["BG"]], date=datetime.date(2025, 4, 1)
    )
    out_of_scope = MeetingFactory(
        convened_by="MI", procedures=[procedures["MI"]], date=datetime.date(2025, 3, 31)
    )
    client.force_login(staff_bg)
    response = client.get(reverse("cases:meeting_calendar_list"), {"month": "2025-03"}, **EN)
    listed = {m.pk for m in response.context["meetings"]}
    assert listed == {last_of_march.pk}
    response = client.get(reverse("cases:meeting_calendar"), {"month": "2025-03"}, **EN)
    days = {day.date: day for week in response.context["weeks"] for day in week}
    assert [m.pk for m in days[datetime.date(2025, 3, 31)].meetings] == [last_of_march.pk]
    # The grid's trailing days of April show April's meetings too, marked out of the month.
    assert [m.pk for m in days[datetime.date(2025, 4, 1)].meetings] == [first_of_april.pk]
    assert not days[datetime.date(2025, 4, 1)].in_month
    body = response.content.decode()
    assert f'href="{out_of_scope.get_absolute_url()}"' not in body
    assert "?month=2025-02" in body and "?month=2025-04" in body
    # Nonsense months fall back to the current one.
    assert client.get(reverse("cases:meeting_calendar"), {"month": "x"}).status_code == 200


def queries(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured)


def test_the_calendar_keeps_a_fixed_number_of_queries(procedures, staff_bg, client):
    client.force_login(staff_bg)
    MeetingFactory(convened_by="BG", procedures=[procedures["BG"]], date=DAY)
    few = {
        name: queries(client, reverse(name), month="2025-05")
        for name in ("cases:meeting_calendar", "cases:meeting_calendar_list")
    }
    for n in range(1, 7):
        MeetingFactory(
            convened_by="BG", procedures=[procedures["BG"]], date=DAY + datetime.timedelta(n)
        )
    for name, count in few.items():
        assert queries(client, reverse(name), month="2025-05") == count, name


def test_the_meeting_page_keeps_a_fixed_number_of_queries(procedures, regional, region, client):
    client.force_login(region)
    decide(regional, region, procedures["BG"], DecisionKind.ALTRO)
    services.meeting_participant_add(
        user=region, meeting=regional, role="regione", organisation="Regione Lombardia"
    )
    before = queries(client, regional.get_absolute_url())
    for kind in DecisionKind.values:
        decide(regional, region, procedures["BG"], kind)
        decide(regional, region, procedures["MI"], kind)
        services.meeting_participant_add(
            user=region, meeting=regional, role="altro", organisation=kind
        )
    # One more query per decision kind that has a finder, whatever the number of decisions.
    assert queries(client, regional.get_absolute_url()) <= before + len(tables.FOLLOW_UPS)


# --- iCalendar --------------------------------------------------------------------------------


def unfold(body: str) -> list[str]:
    assert "\n" not in body.replace("\r\n", "")  # CRLF only
    for line in body.split("\r\n"):
        assert len(line.encode()) <= 75
    return body.replace("\r\n ", "").split("\r\n")[:-1]


def parse(body: str) -> list[dict]:
    """The VEVENTs as {name (with parameters): value}, unescaped."""
    lines = unfold(body)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and any(line.startswith("PRODID:") for line in lines)
    events, current = [], None
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            events.append(current)
            current = None
        elif current is not None:
            name, value = line.split(":", 1)
            current[name] = re.sub(
                r"\\([\\;,nN])", lambda m: {"n": "\n", "N": "\n"}.get(m.group(1), m.group(1)), value
            )
    return events


def test_escaping_and_folding():
    assert tables.ical_escape('a,b;c\\d\ne"') == 'a\\,b\\;c\\\\d\\ne"'
    line = "DESCRIPTION:" + "è" * 80
    folded = tables.ical_fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line
    event = tables.Event(
        uid="meeting-1@example",
        day=DAY,
        summary="Tavolo, bilaterale; BG",
        description="Riga uno\nRiga due, con; segni \\ e " + "x" * 100,
        url="https://example.org/cases/meetings/1/",
        modified=datetime.datetime(2025, 5, 1, 10, tzinfo=datetime.UTC),
    )
    body = tables.ical_calendar("Tavoli", [event], now=event.modified)
    [parsed] = parse(body)
    assert parsed["SUMMARY"] == "Tavolo, bilaterale; BG"
    assert parsed["DESCRIPTION"] == event.description
    assert parsed["DTSTART;VALUE=DATE"] == "20250506"
    assert parsed["DTEND;VALUE=DATE"] == "20250507"
    assert parsed["DTSTAMP"] == "20250501T100000Z"
    assert parsed["UID"] == "meeting-1@example"


def test_the_download_lists_the_meetings_the_user_sees(procedures, bilateral, staff_bg, client):
    hidden = MeetingFactory(convened_by="MI", procedures=[procedures["MI"]])
    client.force_login(staff_bg)
    response = client.get(reverse("cases:meeting_calendar_ics"))
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    uids = {event["UID"].split("@")[0] for event in parse(response.content.decode())}
    assert uids == {f"meeting-{bilateral.pk}"}
    assert f"meeting-{hidden.pk}" not in response.content.decode()


def test_the_subscription_feed_by_secret(procedures, bilateral, staff_bg, staff_mi, client):
    client.force_login(staff_bg)
    client.post(reverse("cases:calendar_feed"), {"issue": "1"})
    page = client.get(reverse("cases:calendar_feed"), **EN).content.decode()
    url = re.search(r'value="(http[^"]+\.ics)"', page).group(1)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    # Only the hash is stored.
    assert token not in CalendarFeed.objects.get().token_hash
    assert "meeting-" not in client.get(reverse("cases:calendar_feed")).content.decode()
    anonymous = client.__class__()
    feed = anonymous.get(reverse("cases:calendar_feed_ics", args=[token]))
    assert feed.status_code == 200
    assert {e["UID"].split("@")[0] for e in parse(feed.content.decode())} == {
        f"meeting-{bilateral.pk}"
    }
    # What the user may see at fetch time: a new meeting of theirs shows, MI's does not.
    mine = MeetingFactory(convened_by="BG", procedures=[procedures["BG"]])
    MeetingFactory(convened_by="MI", procedures=[procedures["MI"]])
    feed = anonymous.get(reverse("cases:calendar_feed_ics", args=[token]))
    assert {e["UID"].split("@")[0] for e in parse(feed.content.decode())} == {
        f"meeting-{bilateral.pk}",
        f"meeting-{mine.pk}",
    }
    # No personal data, no company names: kind, convener and a count.
    assert "Azienda" not in feed.content.decode()
    client.post(reverse("cases:calendar_feed"), {"revoke": "1"})
    assert anonymous.get(reverse("cases:calendar_feed_ics", args=[token])).status_code == 404
    assert anonymous.get(reverse("cases:calendar_feed_ics", args=["nonsense"])).status_code == 404


def test_a_new_secret_replaces_the_old_one(staff_bg):
    old = services.calendar_feed_issue(user=staff_bg)
    new = services.calendar_feed_issue(user=staff_bg)
    from cases.selectors import calendar_feed_user

    assert calendar_feed_user(old) is None
    assert calendar_feed_user(new) == staff_bg
    staff_bg.is_active = False
    staff_bg.save()
    assert calendar_feed_user(new) is None


# --- counts -----------------------------------------------------------------------------------


def test_counts_per_year_and_convener(procedures):
    bg, mi = procedures["BG"], procedures["MI"]
    for day in (datetime.date(2025, 1, 10), datetime.date(2025, 12, 31)):
        MeetingFactory(regional=True, procedures=[bg, mi], date=day)
    MeetingFactory(regional=True, procedures=[bg], date=datetime.date(2024, 12, 31))
    MeetingFactory(convened_by="BG", procedures=[bg], date=datetime.date(2025, 3, 1))
    MeetingFactory(convened_by="BG", procedures=[bg], date=datetime.date(2025, 4, 1))
    MeetingFactory(convened_by="MI", procedures=[mi], date=datetime.date(2025, 4, 1))
    MeetingFactory(convened_by=None, procedures=[mi], date=datetime.date(2025, 4, 1))
    MeetingFactory(
        convened_by="BG", procedures=[bg], date=datetime.date(2025, 4, 1), kind="sindacale"
    )
    rows = tables.table_counts(Meeting.objects.all(), 2025)
    assert rows == [
        {"year": 2025, "convener": "LOM", "regional": 2, "bilateral": 1},
        {"year": 2025, "convener": "BG", "regional": 0, "bilateral": 2},
        {"year": 2025, "convener": "MI", "regional": 0, "bilateral": 1},
    ]
    assert tables.table_counts(Meeting.objects.all(), 2024) == [
        {"year": 2024, "convener": "LOM", "regional": 1, "bilateral": 0}
    ]
    assert MeetingParticipant.objects.count() == 0
