"""Server-side charts for the PDF reports: matplotlib figures saved as SVG.

Only the object-oriented API (``Figure``) is used: no pyplot, no global figure state, no
display. Text is drawn as paths, so the SVG needs no font when WeasyPrint draws it, and the
output is byte-for-byte repeatable (fixed ``svg.hashsalt``, no date in the metadata).
Labels use the Italian number format of the documents (``monitoring.formatting``).
"""

import os
import tempfile
from io import StringIO
from pathlib import Path


def _ensure_config_dir() -> None:
    """Give matplotlib a writable, stable config/cache dir when $HOME has none.

    The Celery worker runs as a user whose home may be read-only; matplotlib would then build
    its font cache in a fresh temporary folder in every process (and log a warning about it).
    """
    if os.environ.get("MPLCONFIGDIR"):
        return
    default = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "matplotlib"
    try:
        default.mkdir(parents=True, exist_ok=True)
        if os.access(default, os.W_OK):
            return
    except OSError:
        pass
    fallback = Path(tempfile.gettempdir()) / f"crisi_portal-matplotlib-{os.getuid()}"
    fallback.mkdir(mode=0o700, exist_ok=True)
    os.environ["MPLCONFIGDIR"] = str(fallback)


_ensure_config_dir()

import matplotlib  # noqa: E402  (after the config dir is settled)

matplotlib.use("Agg")

from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from monitoring import formatting  # noqa: E402

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
FONT_FAMILY = "Titillium Web"
for _name in ("TitilliumWeb-Regular.ttf", "TitilliumWeb-Bold.ttf"):
    font_manager.fontManager.addfont(str(FONT_DIR / _name))

# Bootstrap Italia's blue (#0066CC) with a darker and a lighter companion; grey for "not PAL".
BLUE = "#0066CC"
DARK_BLUE = "#003D7A"
LIGHT_BLUE = "#7FB2E5"
GREY = "#A0AEBB"
ORANGE = "#CC6600"  # a target, against the blues of the figures
TEXT = "#1A1A1A"
MUTED = "#5C6F82"
GRID = "#D9DADB"

STYLE = {
    "font.family": FONT_FAMILY,
    "font.size": 9,
    "text.color": TEXT,
    "axes.edgecolor": GRID,
    "axes.labelcolor": MUTED,
    "xtick.color": MUTED,
    "ytick.color": TEXT,
    "legend.frameon": False,
    "svg.fonttype": "path",
    "svg.hashsalt": "crisi-portal-reports",
}


def _svg(figure: Figure) -> str:
    buffer = StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return buffer.getvalue()


def _axes(width: float, height: float):
    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.add_subplot()
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.tick_params(axis="y", length=0)
    axes.grid(axis="x", color=GRID, linewidth=0.6)
    axes.set_axisbelow(True)
    axes.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10], integer=True))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: formatting.integer(round(x))))
    return figure, axes


def _label_bars(axes, bars, texts) -> None:
    for bar, text in zip(bars, texts, strict=True):
        axes.annotate(
            text,
            xy=(bar.get_x() + bar.get_width(), bar.get_y() + bar.get_height() / 2),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            ha="left",
            fontsize=8.5,
            color=TEXT,
        )


def stacked_province_bars(
    labels: list[str],
    series: list[tuple[str, list[int]]],
    *,
    colors: list[str],
    width: float = 10,
    row_height: float = 0.3,
) -> str:
    """Horizontal bars per province (first label on top), stacked by series, total at the end."""
    with matplotlib.rc_context(STYLE):
        figure, axes = _axes(width, row_height * len(labels) + 0.9)
        positions = range(len(labels))
        left = [0] * len(labels)
        bars = None
        for (name, values), color in zip(series, colors, strict=True):
            bars = axes.barh(positions, values, left=left, color=color, height=0.66, label=name)
            left = [a + b for a, b in zip(left, values, strict=True)]
        axes.set_yticks(list(positions), labels)
        axes.invert_yaxis()
        axes.set_xlim(0, max(max(left) * 1.1, 1))
        if bars is not None:
            _label_bars(axes, bars, [formatting.integer(total) for total in left])
        axes.legend(
            loc="lower left",
            bbox_to_anchor=(0, 1.0),
            ncols=len(series),
            fontsize=8.5,
            borderaxespad=0.3,
        )
        return _svg(figure)


def step_funnel(steps: list[tuple[str, int]], *, width: float = 6.2, height: float = 2.6) -> str:
    """STEP 1..4 as a funnel of horizontal bars, NO PAL apart in grey."""
    with matplotlib.rc_context(STYLE):
        figure, axes = _axes(width, height)
        labels = [label for label, _n in steps]
        values = [n for _label, n in steps]
        colors = [LIGHT_BLUE, BLUE, BLUE, DARK_BLUE, GREY][: len(steps)]
        bars = axes.barh(range(len(steps)), values, color=colors, height=0.62)
        axes.set_yticks(range(len(steps)), labels)
        axes.invert_yaxis()
        axes.set_xlim(0, max(max(values, default=0) * 1.15, 1))
        _label_bars(axes, bars, [formatting.integer(n) for n in values])
        return _svg(figure)


def rate_bars(
    labels: list[str],
    rates: list[float],
    *,
    overall: float | None = None,
    overall_label: str = "",
    target: float | None = None,
    target_label: str = "",
    width: float = 6.2,
    row_height: float = 0.21,
) -> str:
    """A rate (%) per province as horizontal bars, with the regional rate as a line (and a
    target as a second one, labelled under the axis)."""
    with matplotlib.rc_context(STYLE):
        figure, axes = _axes(width, row_height * len(labels) + 0.8)
        bars = axes.barh(range(len(labels)), rates, color=BLUE, height=0.62)
        axes.set_yticks(range(len(labels)), labels)
        axes.invert_yaxis()
        axes.set_xlim(0, 100)
        axes.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{round(x)}%"))
        # Values in a column right of the plot: beside the bars they would collide with the
        # regional-rate line wherever a province sits near the average.
        for bar, rate in zip(bars, rates, strict=True):
            axes.annotate(
                formatting.percent(rate),
                xy=(1.0, bar.get_y() + bar.get_height() / 2),
                xycoords=("axes fraction", "data"),
                xytext=(30, 0),
                textcoords="offset points",
                va="center",
                ha="right",
                fontsize=8.5,
                color=TEXT,
            )
        if overall is not None:
            _line(axes, overall, f"{overall_label} {formatting.percent(overall)}%", DARK_BLUE)
        if target is not None:
            _line(axes, target, f"{target_label} {formatting.percent(target)}%", ORANGE, solid=True)
        return _svg(figure)


def _line(axes, x: float, label: str, color: str, *, solid: bool = False) -> None:
    """A vertical reference line at ``x`` (the regional rate dashed, a target solid), its label
    above the plot."""
    style = "-" if solid else (0, (4, 3))
    axes.axvline(x, color=color, linewidth=1.2 if solid else 1, linestyle=style)
    axes.annotate(
        label,
        xy=(x, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(4, 2),
        textcoords="offset points",
        fontsize=8,
        color=color,
    )


def pal_funnel(
    stages: list[tuple[str, int]],
    *,
    target: float | None = None,
    target_label: str = "",
    width: float = 6.2,
    height: float = 2.9,
) -> str:
    """The PAL funnel as horizontal bars (informed on top, re-employed in dark blue), each with
    its count, and the target (a number of workers) as a line."""
    with matplotlib.rc_context(STYLE):
        figure, axes = _axes(width, height)
        labels = [label for label, _n in stages]
        values = [n for _label, n in stages]
        colors = [LIGHT_BLUE] + [BLUE] * (len(stages) - 2) + [DARK_BLUE]
        bars = axes.barh(range(len(stages)), values, color=colors[: len(stages)], height=0.62)
        axes.set_yticks(range(len(stages)), labels)
        axes.invert_yaxis()
        axes.set_xlim(0, max(max(values, default=0) * 1.18, 1))
        _label_bars(axes, bars, [formatting.integer(n) for n in values])
        if target:
            _line(axes, target, target_label, ORANGE, solid=True)
        return _svg(figure)
