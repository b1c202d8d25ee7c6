"""STEP 3 meetings for tests: made through the service, as the portal makes them."""

import datetime

from cases.models import Province
from pal import services

MEETING_DAY = datetime.date(2025, 6, 10)


def step3_meeting(
    cohorts,
    *,
    province: str = "BG",
    date: datetime.date = MEETING_DAY,
    capacity: int = 50,
    presenters=(),
    involvements=None,
    follow_up_of=None,
    **data,
):
    return services.step3_meeting_save(
        user=None,
        data={
            "province": Province.objects.get(code=province),
            "date": date,
            "start_time": datetime.time(9, 30),
            "end_time": datetime.time(11, 0),
            "place": "Sala del Nucleo",
            "capacity": capacity,
            **data,
        },
        cohorts=list(cohorts),
        presenters=list(presenters),
        involvements=involvements,
        follow_up_of=follow_up_of,
    )
