"""§5: the committed map of Lombardy's provinces that the dashboard colours (a choropleth)."""

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string

from cases.models import Province

TEMPLATE = "monitoring/lombardia_map.svg"
SVG = "{http://www.w3.org/2000/svg}"
CODES = {"BG", "BS", "CO", "CR", "LC", "LO", "MN", "MI", "MB", "PV", "SO", "VA"}


def render_map(**context) -> ET.Element:
    return ET.fromstring(render_to_string(TEMPLATE, context))


def paths_by_code(root: ET.Element) -> dict[str, ET.Element]:
    return {path.get("data-province"): path for path in root.iter(f"{SVG}path")}


def labels_by_code(root: ET.Element) -> dict[str, ET.Element]:
    return {text.get("data-province"): text for text in root.iter(f"{SVG}text")}


def test_the_map_has_exactly_one_path_per_province():
    paths = list(render_map(map_classes={"BG": "map-q1"}).iter(f"{SVG}path"))

    assert len(paths) == 12
    assert {path.get("id") for path in paths} == {f"map-{code}" for code in CODES}
    assert all(path.get("id") == f"map-{path.get('data-province')}" for path in paths)


def test_every_province_path_has_an_outline():
    paths = paths_by_code(render_map())

    assert all(
        path.get("d", "").startswith("M") and path.get("d").endswith("z") for path in paths.values()
    )


def test_every_province_has_a_label_with_its_code():
    labels = labels_by_code(render_map())

    assert set(labels) == CODES
    assert all(
        label.text == code and "map-label" in label.get("class").split()
        for code, label in labels.items()
    )


def test_a_class_given_for_one_province_goes_on_its_path_and_label_only():
    root = render_map(map_classes={"MB": "map-q4"})
    paths, labels = paths_by_code(root), labels_by_code(root)

    assert paths["MB"].get("class").split() == ["map-province", "map-q4"]
    assert labels["MB"].get("class").split() == ["map-label", "map-q4"]
    others = [group[code] for group in (paths, labels) for code in CODES - {"MB"}]
    assert not any("map-q4" in element.get("class") for element in others)


@pytest.mark.django_db
def test_tooltips_default_to_the_province_names():
    paths = paths_by_code(render_map())

    titles = {code: path.find(f"{SVG}title").text for code, path in paths.items()}
    assert titles == dict(Province.objects.values_list("code", "name"))


def test_the_view_can_replace_a_province_tooltip():
    paths = paths_by_code(render_map(map_titles={"LO": "Lodi: 3 procedures"}))

    assert paths["LO"].find(f"{SVG}title").text == "Lodi: 3 procedures"
    assert paths["LC"].find(f"{SVG}title").text == "Lecco"


def test_the_map_is_an_image_named_by_its_title():
    root = render_map(map_title="Workers involved by province")

    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    assert title.get("id") == root.get("aria-labelledby")
    assert title.text == "Workers involved by province"


def test_the_map_has_no_inline_styles_for_the_content_security_policy():
    root = render_map(map_classes=dict.fromkeys(CODES, "map-q2"))

    assert not any("style" in element.attrib for element in root.iter())
    assert not list(root.iter(f"{SVG}style"))


def test_the_committed_map_file_stays_small():
    path = Path(settings.BASE_DIR) / "templates" / TEMPLATE

    assert path.stat().st_size < 60 * 1024
