"""Open data (issue #16 item 4), at /open-data/: public, no login (monitoring.views.open_data)."""

from django.urls import path, register_converter

from monitoring.views import open_data


class PeriodConverter:
    """A year (``2025``) or a quarter (``2025-Q3``)."""

    regex = r"\d{4}(?:-Q[1-4])?"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(PeriodConverter, "open_period")

app_name = "open_data"

urlpatterns = [
    path("", open_data.catalog, name="catalog"),
    path("catalog.rdf", open_data.catalog_rdf, name="catalog_rdf"),
    path("<slug:dataset>/", open_data.dataset, name="dataset"),
    path("<slug:dataset>/<open_period:period>/", open_data.period, name="period"),
    path(
        "<slug:dataset>/<open_period:period>/v<int:version>.csv",
        open_data.release_csv,
        name="release_csv",
    ),
    path(
        "<slug:dataset>/<open_period:period>/v<int:version>.json",
        open_data.release_json,
        name="release_json",
    ),
    path("<slug:dataset>/<open_period:period>/latest.csv", open_data.latest_csv, name="latest_csv"),
    path(
        "<slug:dataset>/<open_period:period>/latest.json", open_data.latest_json, name="latest_json"
    ),
]
