"""The benchmark's JSON as the Markdown tables of the README (``benchmark --markdown``)."""

COMPARED = {
    "report_annual": "annual report data",
    "report_bimonthly_region": "bimonthly report data, regional",
    "report_bimonthly_mi": "bimonthly report data, Milano",
    "report_quarterly_region": "quarterly PAL report data, regional",
    "report_quarterly_mi": "quarterly PAL report data, Milano",
    "dashboard_region": "dashboard data, Region official",
    "dashboard_mi": "dashboard data, Milano officer",
    "cruscotto_region": "cruscotto, Region official",
}
PAGES = {
    "procedure_list": "procedure list",
    "largest_procedure": "the largest procedure",
    "largest_procedure_workers": "its workers list",
    "dashboard": "dashboard",
    "cruscotto": "cruscotto",
}
PDFS = {
    "annual": "annual",
    "bimonthly_region": "bimonthly, regional",
    "bimonthly_mi": "bimonthly, Milano",
    "quarterly_region": "quarterly, regional",
    "quarterly_mi": "quarterly, Milano",
}

API_CASES = {
    "first": "first page",
    "offset": "page at offset {offset:,}",
    "deep": "page {depth:,} rows deep, cursor paging",
    "filtered": "filtered (step)",
    "province": "one province's client",
    "updated_since": "updated_since",
}


WRITES = {
    "import_workers": "worker import",
    "import_procedures": "procedure import",
    "bulk_move": "bulk move to the next step",
}


def _writes_and_memory(f: dict) -> list[str]:
    lines = []
    if any(f"{key}_rows_per_s" in f for key in WRITES):
        lines += ["", "| write | rows | seconds | rows/s | bare bulk_create rows/s | ratio |"]
        lines.append("|---|---|---|---|---|---|")
        for key, label in WRITES.items():
            if f.get(f"{key}_rows"):
                lines.append(
                    f"| {label} | {f[key + '_rows']:,} | {f[key + '_s']} "
                    f"| {f[key + '_rows_per_s']:,} | {f[key + '_bulk_create_rows_per_s']:,} "
                    f"| {f[key + '_ratio']} |"
                )
    peaks = {k: v for k, v in f.items() if k.startswith("memory_") and k.endswith("_mb")}
    if peaks:
        lines += ["", "| job | peak memory |", "|---|---|"]
        for key, value in peaks.items():
            label = key.removeprefix("memory_").removesuffix("_mb").replace("_", " ")
            lines.append(f"| {label} | {value} MB |")
    return lines


def _ms(value) -> str:
    return "timed out" if value is None else f"{value:,} ms"


def markdown(document: dict) -> str:
    f = document["figures"]
    machine, data = document["machine"], document["data"]
    lines = [
        f"{data['workers']:,} workers, {data['involvements']:,} involvements, "
        f"{data['step_transitions']:,} step moves, {data['procedures']:,} procedures, "
        f"{data['units']:,} units (seed {machine['seed']}); {machine['cpu_count']} × "
        f"{machine['cpu_model']}, {machine['memory_mb']:,} MB, {machine['database']}, "
        f"Python {machine['python']}, Django {machine['django']}; {machine['date']}; "
        f"median of {machine['runs']} warm runs.",
        "",
        "| what | portal | hand-written SQL | ratio |",
        "|---|---|---|---|",
    ]
    for key, label in COMPARED.items():
        if f"{key}_ratio" in f:
            lines.append(
                f"| {label} | {_ms(f[key + '_portal_ms'])} | {_ms(f[key + '_sql_ms'])} "
                f"| {f[key + '_ratio'] or '—'} |"
            )
    lines += ["", "| page | Region official | Milano officer |", "|---|---|---|"]
    for key, label in PAGES.items():
        cells = []
        for user in ("region", "mi"):
            if f"page_{key}_{user}_ms" in f:
                queries = f[f"page_{key}_{user}_queries"]
                cells.append(
                    f"{_ms(f[f'page_{key}_{user}_ms'])}"
                    + ("" if queries is None else f", {queries} queries")
                )
            else:
                cells.append("—")
        lines.append(f"| {label} | {cells[0]} | {cells[1]} |")
    lines += ["", "| PDF | seconds | pages | s/page |", "|---|---|---|---|"]
    for key, label in PDFS.items():
        if f"pdf_{key}_s" in f:
            lines.append(
                f"| {label} | {f[f'pdf_{key}_s']} | {f[f'pdf_{key}_pages']} "
                f"| {f[f'pdf_{key}_s_per_page']} |"
            )
    if "api_first_p95_ms" in f:
        lines += [
            "",
            f"API workers list, {f['api_clients']} clients, gunicorn with "
            f"{f['api_gunicorn_workers']} workers; baseline: values() and a JSON dump of the "
            "same rows.",
            "",
            "| API list | p50 | p95 | requests/s | baseline p95 | baseline requests/s | ratio |",
            "|---|---|---|---|---|---|---|",
        ]
        for key, label in API_CASES.items():
            if f"api_{key}_p95_ms" in f:
                label = label.format(offset=f["api_offset_depth"], depth=f["api_deep_depth"])
                lines.append(
                    f"| {label} | {_ms(f[f'api_{key}_p50_ms'])} "
                    f"| {_ms(f[f'api_{key}_p95_ms'])} | {f[f'api_{key}_rps']} "
                    f"| {_ms(f[f'baseline_{key}_p95_ms'])} | {f[f'baseline_{key}_rps']} "
                    f"| {f[f'api_{key}_ratio']} |"
                )
    if "dashboard_refresh_ms" in f:
        lines += [
            "",
            f"Dashboard's pre-aggregated figures rebuilt whole: {_ms(f['dashboard_refresh_ms'])}.",
        ]
    lines += _writes_and_memory(f)
    if "run_report_startup_s" in f:
        lines += ["", f"`run_report --help` start-up: {f['run_report_startup_s']} s."]
    return "\n".join(lines) + "\n"
