"""Source 003: each member of a valid network reports the services it delivers, against its
share of the lead's Dote; the lead sees the totals; GOL Percorso 5 with Percorso 3 services."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from pal import services
from pal.enums import Delivery, ServiceKind
from pal.models import Dote, NetworkMember, NetworkService, NetworkServiceLine, NetworkShare
from pal.selectors import network_ledger
from pal.services import PALRuleRefused
from tests.factories import UserFactory
from tests.pal.network_world import network_world

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def w():
    return network_world()


def share(w, dote, amount, operator=None):
    return services.network_share_set(
        user=w.lead_user,
        network=w.network,
        operator=operator or w.member,
        dote=dote,
        amount=Decimal(amount),
    )


def report(w, doti, cost, *, kind=ServiceKind.ORIENTAMENTO, on=None, user=None, delivery=None):
    return services.network_service_report(
        user=user or w.member_user,
        network=w.network,
        operator=w.member,
        kind=kind,
        delivery=delivery or (Delivery.GRUPPO if len(doti) > 1 else Delivery.INDIVIDUALE),
        delivered_on=on or timezone.localdate() - datetime.timedelta(days=1),
        hours=Decimal("4.0"),
        cost=Decimal(cost),
        doti=doti,
    )


class TestShares:
    def test_shares_of_a_dote_fit_exactly_in_its_value(self, w):
        dote = w.doti[0]
        share(w, dote, "1000.00", operator=w.lead)
        assert share(w, dote, "2000.00").amount == Decimal("2000.00")  # exactly the rest

    def test_one_cent_over_the_value_is_refused_naming_the_amount_and_what_remains(self, w):
        dote = w.doti[0]
        share(w, dote, "1000.00", operator=w.lead)
        with pytest.raises(PALRuleRefused) as refused:
            share(w, dote, "2000.01")
        assert refused.value.code == "network_share" and refused.value.field == "amount"
        assert "2.000,00" in refused.value.message  # what remains for this member
        assert not NetworkShare.objects.filter(operator=w.member).exists()

    def test_changing_a_share_counts_only_the_others(self, w):
        share(w, w.doti[0], "3000.00")
        assert share(w, w.doti[0], "2500.00").amount == Decimal("2500.00")
        assert NetworkShare.objects.filter(dote=w.doti[0]).count() == 1

    def test_only_the_lead_gives_shares(self, w):
        with pytest.raises(PermissionDenied):
            services.network_share_set(
                user=w.member_user,
                network=w.network,
                operator=w.member,
                dote=w.doti[0],
                amount=Decimal("10"),
            )

    def test_a_dote_of_a_worker_the_network_does_not_serve_does_not_exist(self, w):
        with translation.override("en"), pytest.raises(ValidationError) as refused:
            share(w, w.outsider, "100.00")
        # The words of an id that names nothing.
        assert "does not exist" in str(refused.value.message_dict["dote"])

    def test_an_operator_not_member_does_not_exist(self, w):
        from tests.cases.factories import OperatorFactory

        with pytest.raises(ValidationError) as refused:
            share(w, w.doti[0], "100.00", operator=OperatorFactory())
        assert "operator" in refused.value.message_dict


class TestReports:
    def test_exactly_at_the_share_is_accepted_one_cent_over_is_refused(self, w):
        share(w, w.doti[0], "500.00")
        report(w, [w.doti[0]], "300.00")
        with pytest.raises(PALRuleRefused) as refused:
            report(w, [w.doti[0]], "200.01")
        assert refused.value.code == "network_share" and refused.value.field == "cost"
        assert "500,00" in refused.value.message and "200,00" in refused.value.message
        report(w, [w.doti[0]], "200.00")
        assert NetworkService.objects.count() == 2

    def test_a_group_service_is_recorded_once_and_split_among_the_doti(self, w):
        for dote in w.doti:
            share(w, dote, "1000.00")
        service = report(w, w.doti, "100.00")
        lines = list(service.lines.order_by("dote_id"))
        assert [line.cost for line in lines] == [
            Decimal("33.34"),
            Decimal("33.33"),
            Decimal("33.33"),
        ]
        assert all(line.hours == Decimal("4.0") for line in lines)
        assert NetworkService.objects.count() == 1

    def test_group_and_individual_sizes(self, w):
        for dote in w.doti:
            share(w, dote, "1000.00")
        with pytest.raises(PALRuleRefused) as refused:
            report(w, w.doti[:2], "10", delivery=Delivery.INDIVIDUALE)
        assert refused.value.code == "group_size" and refused.value.field == "doti"
        with pytest.raises(PALRuleRefused):
            report(w, w.doti[:1], "10", delivery=Delivery.GRUPPO)

    def test_a_worker_not_in_the_network_does_not_exist(self, w):
        share(w, w.doti[0], "500.00")
        with translation.override("en"), pytest.raises(ValidationError) as refused:
            report(w, [w.outsider], "10.00")
        # The words of an id that names nothing.
        assert "does not exist" in str(refused.value.message_dict["doti"])

    def test_gol_percorso_5_is_delivered_with_the_services_of_percorso_3(self, w):
        share(w, w.doti[0], "500.00")
        assert services.admitted_service_kinds(w.network.measure) == frozenset(
            set(ServiceKind.values) - {ServiceKind.CONCILIAZIONE}
        )
        with pytest.raises(PALRuleRefused) as refused:
            report(w, [w.doti[0]], "10.00", kind=ServiceKind.CONCILIAZIONE)
        assert refused.value.code == "service_not_admitted" and refused.value.field == "kind"
        report(w, [w.doti[0]], "10.00", kind=ServiceKind.FORMAZIONE)

    def test_a_measure_without_a_catalogue_admits_every_kind(self):
        w = network_world(code="azioni-di-rete")
        assert services.admitted_service_kinds(w.network.measure) is None
        share(w, w.doti[0], "500.00")
        report(w, [w.doti[0]], "10.00", kind=ServiceKind.CONCILIAZIONE)

    def test_a_dote_expired_the_day_before_is_refused(self, w):
        dote = w.doti[0]
        share(w, dote, "500.00")
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        Dote.objects.filter(pk=dote.pk).update(
            valid_from=yesterday - datetime.timedelta(days=30),
            valid_until=yesterday - datetime.timedelta(days=1),
        )
        with pytest.raises(PALRuleRefused) as refused:
            report(w, [dote], "10.00", on=yesterday)
        assert refused.value.code == "service_dates" and refused.value.field == "delivered_on"
        # On its last day it still holds.
        report(w, [dote], "10.00", on=yesterday - datetime.timedelta(days=1))

    def test_a_concluded_dote_takes_no_more_services(self, w):
        share(w, w.doti[0], "500.00")
        Dote.objects.filter(pk=w.doti[0].pk).update(status="conclusa")
        with pytest.raises(PALRuleRefused) as refused:
            report(w, [w.doti[0]], "1.00")
        assert refused.value.code == "dote_closed" and refused.value.field == "doti"

    def test_without_a_share_the_member_reports_nothing(self, w):
        with pytest.raises(PALRuleRefused) as refused:
            report(w, [w.doti[0]], "1.00")
        assert refused.value.code == "network_share"

    def test_a_network_not_valid_takes_no_report(self, w):
        share(w, w.doti[0], "500.00")
        NetworkMember.objects.filter(network=w.network, kind="cpi").delete()
        with pytest.raises(PALRuleRefused) as refused:
            report(w, [w.doti[0]], "1.00")
        assert refused.value.code == "network_not_valid"

    def test_only_members_report(self, w):
        outsider = UserFactory(operator=True)
        share(w, w.doti[0], "500.00")
        with pytest.raises(PermissionDenied):
            report(w, [w.doti[0]], "1.00", user=outsider)

    def test_a_share_cannot_drop_below_what_was_delivered(self, w):
        share(w, w.doti[0], "500.00")
        report(w, [w.doti[0]], "300.00")
        with pytest.raises(PALRuleRefused) as refused:
            share(w, w.doti[0], "299.99")
        assert refused.value.field == "amount"


class TestLedger:
    @pytest.fixture
    def reported(self, w):
        share(w, w.doti[0], "1000.00", operator=w.lead)
        share(w, w.doti[0], "500.00")
        share(w, w.doti[1], "400.00")
        report(w, w.doti[:2], "300.00")  # 150 each
        services.network_service_report(
            user=w.lead_user,
            network=w.network,
            operator=w.lead,
            kind=ServiceKind.ACCOGLIENZA,
            delivery=Delivery.INDIVIDUALE,
            delivered_on=timezone.localdate(),
            hours=Decimal("2"),
            cost=Decimal("80.00"),
            doti=[w.doti[0]],
        )
        return w

    def test_the_lead_sees_the_total_per_member_and_per_dote(self, reported):
        w = reported
        ledger = network_ledger(w.network, w.lead_user)
        members = {row["operator"]: row for row in ledger.members}
        assert members[w.member.pk]["share"] == Decimal("900.00")
        assert members[w.member.pk]["delivered"] == Decimal("300.00")
        assert members[w.member.pk]["remaining"] == Decimal("600.00")
        assert members[w.lead.pk]["delivered"] == Decimal("80.00")
        rows = {(s.dote_id, s.operator_id): s for s in ledger.shares}
        assert rows[(w.doti[0].pk, w.member.pk)].remaining == Decimal("350.00")
        assert rows[(w.doti[1].pk, w.member.pk)].delivered == Decimal("150.00")
        assert ledger.total_share == Decimal("1900.00")
        assert ledger.total_delivered == Decimal("380.00")
        assert ledger.total_remaining == Decimal("1520.00")
        assert rows[(w.doti[0].pk, w.member.pk)].worker_name  # the lead's own workers

    def test_a_member_sees_its_own_rows_and_the_totals_of_the_network(self, reported):
        w = reported
        ledger = network_ledger(w.network, w.member_user)
        assert {s.operator_id for s in ledger.shares} == {w.member.pk}
        assert [row["operator"] for row in ledger.members] == [w.member.pk]
        assert {s.operator_id for s in ledger.services} == {w.member.pk}
        assert ledger.total_delivered == Decimal("380.00")
        # Not its workers: no names, the Dote's number only.
        assert not any(s.worker_name for s in ledger.shares)

    def test_the_nucleo_of_the_territory_and_the_region_read_it_all(
        self, reported, staff_bg, region
    ):
        for user in (staff_bg, region):
            ledger = network_ledger(reported.network, user)
            assert len(ledger.shares) == 3 and len(ledger.services) == 2

    def test_delivered_counts_in_the_dote_ledger(self, reported):
        dote = Dote.objects.with_ledger().get(pk=reported.doti[0].pk)
        assert dote.delivered_amount == Decimal("230.00")  # 150 by the member + 80 by the lead


class TestPages:
    def test_a_member_reports_through_the_form(self, client, w):
        share(w, w.doti[0], "500.00")
        client.force_login(w.member_user)
        url = reverse("pal:network_service_report", args=[w.network.pk])
        assert client.get(url, **EN).status_code == 200
        response = client.post(
            url,
            {
                "kind": ServiceKind.ORIENTAMENTO,
                "delivery": Delivery.INDIVIDUALE,
                "delivered_on": (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
                "hours": "2.0",
                "cost": "120.00",
                "doti": [w.doti[0].pk],
            },
            **EN,
        )
        assert response.status_code == 302
        assert NetworkServiceLine.objects.get().cost == Decimal("120.00")

    def test_the_form_names_the_field_refused(self, client, w):
        share(w, w.doti[0], "100.00")
        client.force_login(w.member_user)
        response = client.post(
            reverse("pal:network_service_report", args=[w.network.pk]),
            {
                "kind": ServiceKind.ORIENTAMENTO,
                "delivery": Delivery.INDIVIDUALE,
                "delivered_on": (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
                "hours": "2.0",
                "cost": "100.01",
                "doti": [w.doti[0].pk],
            },
            **EN,
        )
        assert response.status_code == 422
        assert "100,00" in str(response.context["form"].errors["cost"])

    def test_the_lead_gives_a_share_through_the_form(self, client, w):
        client.force_login(w.lead_user)
        url = reverse("pal:network_share", args=[w.network.pk])
        assert client.get(url, **EN).status_code == 200
        response = client.post(
            url, {"operator": w.member.pk, "dote": w.doti[0].pk, "amount": "250.00"}, **EN
        )
        assert response.status_code == 302
        assert NetworkShare.objects.get().amount == Decimal("250.00")

    def test_the_services_page_and_the_network_page_keep_a_fixed_query_count(
        self, client, w, staff_bg, django_assert_max_num_queries
    ):
        share(w, w.doti[0], "500.00")
        report(w, [w.doti[0]], "10.00")
        client.force_login(w.lead_user)
        url = reverse("pal:network_services", args=[w.network.pk])
        with django_assert_max_num_queries(30) as few:
            assert client.get(url, **EN).status_code == 200
        for dote in w.doti[1:]:
            share(w, dote, "500.00")
        report(w, w.doti[1:], "10.00")
        report(w, [w.doti[1]], "5.00")
        with django_assert_max_num_queries(len(few.captured_queries)):
            client.get(url, **EN)
        client.force_login(staff_bg)
        detail = reverse("pal:network_detail", args=[w.network.pk])
        response = client.get(detail, **EN)
        assert response.status_code == 200
        assert b'data-table="members"' in response.content

    def test_the_operator_home_links_its_networks(self, client, w):
        client.force_login(w.member_user)
        response = client.get(reverse("pal:operator_home"), **EN)
        assert reverse("pal:network_services", args=[w.network.pk]).encode() in response.content


class TestAPI:
    def test_a_member_reports_and_reads_its_services(self, api_client_for, w):
        share(w, w.doti[0], "500.00")
        share(w, w.doti[1], "500.00")
        client = api_client_for(w.member_user)
        response = client.post(
            "/api/v1/network-services/",
            {
                "network": w.network.pk,
                "kind": "orientamento",
                "delivery": "gruppo",
                "delivered_on": (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
                "hours": "3.0",
                "cost": "90.00",
                "doti": [w.doti[0].pk, w.doti[1].pk],
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        assert [line["cost"] for line in response.json()["lines"]] == [45.0, 45.0]
        listed = client.get("/api/v1/network-services/").json()
        assert listed["count"] == 1

    def test_a_body_without_delivery_is_an_individual_service(self, api_client_for, w):
        # Found by tools/api_fuzz.sh: leaving out the optional field was a 500.
        share(w, w.doti[0], "500.00")
        client = api_client_for(w.member_user)
        response = client.post(
            "/api/v1/network-services/",
            {
                "network": w.network.pk,
                "kind": "orientamento",
                "delivered_on": (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
                "hours": "1.0",
                "cost": "30.00",
                "doti": [w.doti[0].pk],
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        assert response.json()["delivery"] == "individuale"

    def test_a_refusal_names_the_rule_and_the_field(self, api_client_for, w):
        share(w, w.doti[0], "50.00")
        client = api_client_for(w.member_user)
        response = client.post(
            "/api/v1/network-services/",
            {
                "network": w.network.pk,
                "kind": "orientamento",
                "delivery": "individuale",
                "delivered_on": (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
                "hours": "3.0",
                "cost": "50.01",
                "doti": [w.doti[0].pk],
            },
            format="json",
        )
        assert response.status_code == 422
        assert response.json()["type"] == "about:blank#network_share"

    def test_the_lead_gives_shares_and_reads_them_with_delivered(self, api_client_for, w):
        client = api_client_for(w.lead_user)
        response = client.post(
            "/api/v1/network-shares/",
            {
                "network": w.network.pk,
                "operator": w.member.pk,
                "dote": w.doti[0].pk,
                "amount": "700.00",
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        assert response.json()["remaining"] == 700.0
        member = api_client_for(w.member_user)
        assert member.get("/api/v1/network-shares/").json()["count"] == 1
        other = api_client_for(UserFactory(operator=True))
        assert other.get("/api/v1/network-shares/").json()["count"] == 0
