"""crisi_portal.scoping: the one table of who reads and acts where, role by role.

Every decision function is checked for every role (and an inactive user, and the system), so
that a rule changed here shows up as one failing row, not as a leak somewhere else.
"""

import pytest
from django.contrib.auth.models import Permission

from crisi_portal import scoping
from tests.cases.factories import OperatorFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ALL = None  # "every province"


@pytest.fixture
def users(db):
    region_reader = UserFactory(username="region_reader", region_official=True)
    region_reader.user_permissions.add(Permission.objects.get(codename="view_personal_data"))
    return {
        "system": None,
        "staff_bg": UserFactory(username="s_bg", province_staff=True, provinces=["BG"]),
        "staff_bg_mi": UserFactory(username="s_bgmi", province_staff=True, provinces=["BG", "MI"]),
        "region": UserFactory(username="region", region_official=True),
        "region_reader": region_reader,
        "operator": UserFactory(username="op", operator=True),
        "api_bg": UserFactory(username="api_bg", api_client=True, provinces=["BG"]),
        "api_all": UserFactory(username="api_all", api_client=True),
        "admin": UserFactory(username="adm", admin=True),
        "inactive_staff": UserFactory(
            username="gone", province_staff=True, provinces=["BG"], is_active=False
        ),
    }


# who: (readable, acting, may act in BG, may act in MI, report BG, report regional,
#       figures(None), figures("MI"), sees identity, reads logged, reference data)
TABLE = {
    "system": (set(), ALL, True, True, False, False, [], [], False, False, True),
    "staff_bg": ({"BG"}, {"BG"}, True, False, True, False, ["BG"], [], True, False, False),
    "staff_bg_mi": (
        {"BG", "MI"},
        {"BG", "MI"},
        True,
        True,
        True,
        False,
        ["BG", "MI"],
        ["MI"],
        True,
        False,
        False,
    ),
    "region": (ALL, set(), False, False, True, True, ALL, ["MI"], False, True, True),
    "region_reader": (ALL, set(), False, False, True, True, ALL, ["MI"], True, True, True),
    "operator": (set(), set(), False, False, False, False, [], [], True, False, False),
    "api_bg": ({"BG"}, {"BG"}, True, False, True, False, ["BG"], [], True, True, False),
    "api_all": (ALL, ALL, True, True, True, True, ALL, ["MI"], True, True, False),
    "admin": (ALL, ALL, True, True, True, True, ALL, ["MI"], True, True, True),
    "inactive_staff": (set(), set(), False, False, False, False, [], [], False, False, False),
}


@pytest.mark.parametrize("who", list(TABLE))
def test_each_role_reads_and_acts_where_the_table_says(who, users):
    user = users[who]
    expected = TABLE[who]
    readable = scoping.readable_provinces(user)
    acting = scoping.acting_provinces(user)
    actual = (
        readable if readable is None else set(readable),
        acting if acting is None else set(acting),
        scoping.may_act_in(user, "BG"),
        scoping.may_act_in(user, "MI"),
        scoping.may_request_report(user, "BG"),
        scoping.may_request_report(user, None),
        scoping.figures_provinces(user),
        scoping.figures_provinces(user, "MI"),
        scoping.sees_identity(user),
        scoping.identity_reads_logged(user),
        scoping.manages_reference_data(user),
    )
    assert actual == expected


def test_only_an_operators_own_staff_act_for_it(users):
    own = users["operator"].operator
    other = OperatorFactory()
    assert scoping.may_act_for_operator(users["operator"], own)
    assert not scoping.may_act_for_operator(users["operator"], other)
    assert not scoping.may_act_for_operator(users["staff_bg"], own)
    assert not scoping.may_act_for_operator(users["region"], own)
    assert scoping.may_act_for_operator(users["admin"], other)
    assert scoping.may_act_for_operator(None, other)


def test_dote_involvements_need_the_workers_fiscal_code(users):
    from tests.workers.factories import InvolvementFactory

    involvement = InvolvementFactory()
    code = involvement.worker.fiscal_code
    operator = users["operator"]
    assert list(scoping.dote_involvements(operator, code)) == [involvement]
    assert list(scoping.dote_involvements(operator, code.lower())) == [involvement]
    assert not scoping.dote_involvements(operator, "").exists()
    assert not scoping.dote_involvements(operator, "RSSMRA80A01F205X").exists()
    for who in ("staff_bg", "region", "api_all", "inactive_staff"):
        assert not scoping.dote_involvements(users[who], code).exists(), who


def test_visible_through_counts_what_visible_to_sees_for_every_user(users):
    """``visible_through`` is ``visible_to`` written on a join (the cruscotto counts workers
    with it): for every user, the same involvements per procedure as the id-list form."""
    from django.db.models import Count, Q

    from cases.models import CrisisProcedure
    from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
    from tests.workers.factories import InvolvementFactory
    from workers.models import Involvement

    shared = CrisisProcedureFactory(lead="BG")
    for province, count in (("BG", 3), ("MI", 2)):
        unit = ProductionUnitFactory(procedure=shared, in_province=province)
        for _ in range(count):
            InvolvementFactory(unit=unit)
    InvolvementFactory(unit=ProductionUnitFactory(procedure=CrisisProcedureFactory(lead="MI")))

    def counts(condition):
        rows = CrisisProcedure.objects.annotate(n=Count("involvements", filter=condition))
        return dict(rows.values_list("pk", "n"))

    seen = set()
    for who, user in users.items():
        if user is None:
            continue  # the system reads everything; visible_to is for people
        by_join = counts(Involvement.objects.visible_through(user, "involvements"))
        by_ids = counts(Q(involvements__in=Involvement.objects.visible_to(user).values("pk")))
        assert by_join == by_ids, who
        seen.add(tuple(sorted(by_join.values())))
    assert len(seen) >= 3  # BG only, BG and MI, everything, nothing: the users differ
