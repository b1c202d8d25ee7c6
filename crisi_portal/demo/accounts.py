"""Demo accounts: the accredited operators and one user per role (password ``DEMO_PASSWORD``)."""

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType

from cases.models import Province
from crisi_portal.demo.reference import CHANGE_REASON, COMUNI, DEMO_PASSWORD, PROVINCE_ORDER
from crisi_portal.models import User
from crisi_portal.roles import Role
from pal.models import Operator, OperatorOffice

OPERATORS = [
    # accreditation number, name, labour, training, public
    ("DEMO-ACC-0001", "Lavoro & Futuro Soc. Coop.", True, True, False),
    ("DEMO-ACC-0002", "Formazione Lombarda S.r.l.", True, True, False),
    # One public employment centre (CPI) per province, named after its chief town.
    *(
        (f"DEMO-CPI-{code}", f"Centro per l'Impiego di {COMUNI[code][0]}", True, False, True)
        for code in PROVINCE_ORDER
    ),
]
# Offices (address, comune, province) by accreditation number: where each operator works.
OPERATOR_OFFICES = {
    "DEMO-ACC-0001": [
        ("Via Camozzi 12", "Bergamo", "BG"),
        ("Viale Monza 45", "Milano", "MI"),
    ],
    "DEMO-ACC-0002": [
        ("Via Larga 8", "Milano", "MI"),
        ("Via Italia 20", "Monza", "MB"),
    ],
    **{
        f"DEMO-CPI-{code}": [(f"Via del Lavoro {index + 1}", COMUNI[code][0], code)]
        for index, code in enumerate(PROVINCE_ORDER)
    },
}

USERS = [
    # username, first, last, email, role, provinces, operator (accreditation no.)
    (
        "nucleo.bg",
        "Giulia",
        "Locatelli",
        "giulia.locatelli@provincia.bergamo.example",
        Role.PROVINCE_STAFF,
        ["BG"],
        None,
    ),
    (
        "nucleo.mi",
        "Marco",
        "Colombo",
        "marco.colombo@cittametropolitana.milano.example",
        Role.PROVINCE_STAFF,
        ["MI"],
        None,
    ),
    (
        "regione",
        "Francesca",
        "Brambilla",
        "francesca.brambilla@regione.lombardia.example",
        Role.REGION_OFFICIAL,
        [],
        None,
    ),
    (
        "operatore.a",
        "Luca",
        "Ferrari",
        "luca.ferrari@lavoroefuturo.example",
        Role.OPERATOR,
        [],
        "DEMO-ACC-0001",
    ),
    (
        "operatore.b",
        "Chiara",
        "Fumagalli",
        "chiara.fumagalli@formazionelombarda.example",
        Role.OPERATOR,
        [],
        "DEMO-ACC-0002",
    ),
    ("admin", "Paolo", "Cattaneo", "paolo.cattaneo@crisiportal.example", Role.ADMIN, [], None),
]


def seed_operators(counts: dict[str, int]) -> dict[str, Operator]:
    operators = {}
    for number, name, labour, training, public in OPERATORS:
        operator = Operator.objects.filter(accreditation_number=number).first() or Operator(
            accreditation_number=number
        )
        values = {
            "name": name,
            "accredited_for_labour": labour,
            "accredited_for_training": training,
            "is_public": public,
        }
        created = operator.pk is None
        changed = created or any(getattr(operator, key) != value for key, value in values.items())
        if changed:
            for key, value in values.items():
                setattr(operator, key, value)
            operator._change_reason = CHANGE_REASON
            operator.full_clean()
            operator.save()
        offices = OPERATOR_OFFICES.get(number, [])
        if sorted(offices) != sorted(operator.offices.values_list("address", "comune", "province")):
            operator.offices.all().delete()
            for address, comune, province in offices:
                office = OperatorOffice(
                    operator=operator, address=address, comune=comune, province_id=province
                )
                office.full_clean(exclude=["operator", "province"], validate_constraints=False)
                office.save()
            changed = True
        if changed:
            counts["created" if created else "updated"] += 1
        operators[number] = operator
    return operators


def seed_users(counts: dict[str, int], operators: dict[str, Operator]) -> None:
    # One hash for all: hashing six times would take most of the command's run time.
    password = make_password(DEMO_PASSWORD)
    personal_data = Permission.objects.get_or_create(
        content_type=ContentType.objects.get_for_model(User),
        codename="view_personal_data",
        defaults={"name": "Can see workers' identities (every view is logged)"},
    )[0]
    for username, first, last, email, role, provinces, operator in USERS:
        is_admin = role == Role.ADMIN
        user, created = User.objects.update_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": email,
                "role": role,
                "operator": operators[operator] if operator else None,
                "is_staff": is_admin,
                "is_superuser": is_admin,
                "is_active": True,
                "password": password,
            },
        )
        user.full_clean(exclude=["password"], validate_unique=False)
        user.provinces.set(Province.objects.filter(code__in=provinces))
        if role == Role.REGION_OFFICIAL:
            user.user_permissions.add(personal_data)
        counts["created" if created else "updated"] += 1
