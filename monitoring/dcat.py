"""The open-data catalogue in DCAT-AP_IT (AgID's Italian profile of DCAT-AP, v1.1), RDF/XML.

Written with the standard library's ElementTree: one ``dcatapit:Catalog`` with one
``dcatapit:Dataset`` per dataset and period (its latest version: ``owl:versionInfo``), each
with two ``dcatapit:Distribution`` (CSV and JSON, the numbered version's stable URL as
``dcat:downloadURL``, the landing page as ``dcat:accessURL``). Publisher and rights holder are
a ``dcatapit:Agent`` named by its IPA code; the contact point a ``dcatapit:Organization``
(vCard); the licence a ``dcatapit:LicenseDocument``. Controlled vocabularies: the EU
Publications Office's authority tables (data-theme, frequency, file-type, language, licence).
"""

from xml.etree import ElementTree as ET  # nosec B405 - writes XML, parses nothing

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy

from monitoring.models import OpenDataRelease
from monitoring.open_data import DATASETS, LICENSE_URI, REGION_NAME, period_of

NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dcatapit": "http://dati.gov.it/onto/dcatapit#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "schema": "http://schema.org/",
    "locn": "http://www.w3.org/ns/locn#",
    "spdx": "http://spdx.org/rdf/terms#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
}
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)

EU = "http://publications.europa.eu/resource/authority"
THEME = f"{EU}/data-theme/"
FREQUENCY = f"{EU}/frequency/"
FILE_TYPE = f"{EU}/file-type/"
LANGUAGE = f"{EU}/language/"
LICENCE_TYPE_ATTRIBUTION = "http://purl.org/adms/licencetype/Attribution"
# Lombardy: GeoNames' first-order administrative division (ISTAT region code 03).
LOMBARDY_URI = "http://sws.geonames.org/3174618/"
MEDIA_TYPES = {"csv": "text/csv", "json": "application/json"}
CHECKSUM_SHA256 = "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"


def q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


def absolute(path: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def _el(
    parent: ET.Element,
    name: str,
    text: str | None = None,
    *,
    lang: str | None = None,
    resource: str | None = None,
    datatype: str | None = None,
) -> ET.Element:
    element = ET.SubElement(parent, q(name))
    if text is not None:
        element.text = text
    if lang:
        element.set("{http://www.w3.org/XML/1998/namespace}lang", lang)
    if resource:
        element.set(q("rdf:resource"), resource)
    if datatype:
        element.set(q("rdf:datatype"), NS["xsd"] + datatype)
    return element


def _both_languages(parent: ET.Element, name: str, lazy_text: object) -> None:
    for lang in ("it", "en"):
        with translation.override(lang):
            _el(parent, name, str(lazy_text), lang=lang)


def _agent(parent: ET.Element, name: str) -> None:
    """The Region as publisher or rights holder: a dcatapit:Agent with its IPA code."""
    holder = _el(parent, name)
    agent = _el(holder, "dcatapit:Agent")
    # A blank node: the agent is identified by its IPA code (dct:identifier), as the profile asks.
    _el(agent, "rdf:type", resource=NS["foaf"] + "Agent")
    _el(agent, "dct:identifier", settings.OPEN_DATA_IPA_CODE)
    _el(agent, "foaf:name", settings.OPEN_DATA_PUBLISHER_NAME, lang="it")


def _contact(parent: ET.Element) -> None:
    point = _el(parent, "dcat:contactPoint")
    org = _el(point, "dcatapit:Organization")
    org.set(q("rdf:about"), absolute(reverse("open_data:catalog")) + "#contact")
    _el(org, "rdf:type", resource=NS["vcard"] + "Organization")
    _el(org, "vcard:fn", f"{settings.OPEN_DATA_PUBLISHER_NAME} – open data")
    _el(org, "vcard:hasEmail", resource=f"mailto:{settings.OPEN_DATA_CONTACT_EMAIL}")


def _license(parent: ET.Element) -> None:
    holder = _el(parent, "dct:license")
    doc = _el(holder, "dcatapit:LicenseDocument")
    doc.set(q("rdf:about"), LICENSE_URI)
    _el(doc, "rdf:type", resource=NS["dct"] + "LicenseDocument")
    _el(doc, "dct:type", resource=LICENCE_TYPE_ATTRIBUTION)
    _el(doc, "foaf:name", "Creative Commons Attribuzione 4.0 Internazionale (CC BY 4.0)", lang="it")
    _el(doc, "foaf:name", "Creative Commons Attribution 4.0 International (CC BY 4.0)", lang="en")
    _el(doc, "owl:versionInfo", "4.0")


def dataset_identifier(release: OpenDataRelease) -> str:
    """``<IPA code>:<id>``, as DCAT-AP_IT asks: stable across versions."""
    return f"{settings.OPEN_DATA_IPA_CODE}:crisi-{release.dataset}-{release.period}"


def _distribution(
    dataset_el: ET.Element, release: OpenDataRelease, fmt: str, landing: str
) -> ET.Element:
    spec = DATASETS[release.dataset]
    url = absolute(
        reverse(
            f"open_data:release_{fmt}",
            kwargs={
                "dataset": release.dataset,
                "period": release.period,
                "version": release.version,
            },
        )
    )
    _el(dataset_el, "dcat:distribution", resource=url)
    # The distribution's node goes at the catalogue level (its parent's parent): see catalog().
    dist = ET.Element(q("dcatapit:Distribution"))
    dist.set(q("rdf:about"), url)
    _el(dist, "rdf:type", resource=NS["dcat"] + "Distribution")
    for lang in ("it", "en"):
        with translation.override(lang):
            _el(dist, "dct:title", f"{spec.title} {release.period} ({fmt.upper()})", lang=lang)
    _el(dist, "dct:description", f"{fmt.upper()}, v{release.version}", lang="it")
    _el(dist, "dct:format", resource=FILE_TYPE + fmt.upper())
    _el(
        dist,
        "dcat:mediaType",
        resource=f"https://www.iana.org/assignments/media-types/{MEDIA_TYPES[fmt]}",
    )
    _el(dist, "dcat:accessURL", resource=landing)
    _el(dist, "dcat:downloadURL", resource=url)
    _license(dist)
    content = release.csv if fmt == "csv" else release.json
    _el(dist, "dcat:byteSize", str(len(content.encode())), datatype="decimal")
    checksum = _el(_el(dist, "spdx:checksum"), "spdx:Checksum")
    _el(checksum, "spdx:algorithm", resource=CHECKSUM_SHA256)
    _el(
        checksum,
        "spdx:checksumValue",
        release.csv_sha256 if fmt == "csv" else release.json_sha256,
        datatype="hexBinary",
    )
    _el(dist, "dct:modified", release.published_at.date().isoformat(), datatype="date")
    return dist


def catalog(releases: list[OpenDataRelease]) -> bytes:
    """The catalogue of the latest versions ``releases`` as RDF/XML."""
    root = ET.Element(q("rdf:RDF"))
    home = absolute(reverse("open_data:catalog"))
    cat = _el(root, "dcatapit:Catalog")
    cat.set(q("rdf:about"), home)
    _el(cat, "rdf:type", resource=NS["dcat"] + "Catalog")
    _both_languages(cat, "dct:title", gettext_lazy("Crisis Units Portal – open data"))
    _both_languages(
        cat,
        "dct:description",
        gettext_lazy(
            "Aggregate figures on company crises in Lombardy and the active labour policies "
            "for their workers, from the Crisis Units Portal; small counts are withheld."
        ),
    )
    _agent(cat, "dct:publisher")
    modified = max((r.published_at for r in releases), default=None)
    if modified is not None:
        _el(cat, "dct:modified", modified.date().isoformat(), datatype="date")
        issued = min(r.published_at for r in releases)
        _el(cat, "dct:issued", issued.date().isoformat(), datatype="date")
    _el(cat, "foaf:homepage", resource=home)
    _el(cat, "dct:language", resource=LANGUAGE + "ITA")
    _el(cat, "dcat:themeTaxonomy", resource=f"{EU}/data-theme")
    distributions: list[ET.Element] = []
    for release in releases:
        spec = DATASETS[release.dataset]
        period = period_of(spec, release.period)
        landing = absolute(
            reverse(
                "open_data:period", kwargs={"dataset": release.dataset, "period": release.period}
            )
        )
        _el(cat, "dcat:dataset", resource=landing)
        ds = _el(root, "dcatapit:Dataset")
        ds.set(q("rdf:about"), landing)
        _el(ds, "rdf:type", resource=NS["dcat"] + "Dataset")
        _el(ds, "dct:identifier", dataset_identifier(release))
        for lang in ("it", "en"):
            with translation.override(lang):
                _el(ds, "dct:title", f"{spec.title} – {period.label}", lang=lang)
                _el(ds, "dct:description", str(spec.description), lang=lang)
        _el(ds, "dct:modified", release.published_at.date().isoformat(), datatype="date")
        for theme in spec.themes:
            _el(ds, "dcat:theme", resource=THEME + theme)
        _agent(ds, "dct:publisher")
        _agent(ds, "dct:rightsHolder")
        _el(ds, "dct:accrualPeriodicity", resource=FREQUENCY + spec.frequency)
        _contact(ds)
        for keyword in spec.keywords:
            _el(ds, "dcat:keyword", keyword, lang="it")
        temporal = _el(_el(ds, "dct:temporal"), "dct:PeriodOfTime")
        for prefix in ("schema", "dcat"):
            _el(temporal, f"{prefix}:startDate", period.start.isoformat(), datatype="date")
            _el(temporal, f"{prefix}:endDate", period.end.isoformat(), datatype="date")
        location = _el(_el(ds, "dct:spatial"), "dct:Location")
        location.set(q("rdf:about"), LOMBARDY_URI)
        _el(location, "dcatapit:geographicalIdentifier", LOMBARDY_URI)
        _el(location, "locn:geographicalName", REGION_NAME, lang="it")
        _el(ds, "dct:language", resource=LANGUAGE + "ITA")
        _el(ds, "owl:versionInfo", str(release.version))
        _el(ds, "dcat:landingPage", resource=landing)
        for fmt in ("csv", "json"):
            distributions.append(_distribution(ds, release, fmt, landing))
    root.extend(distributions)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
