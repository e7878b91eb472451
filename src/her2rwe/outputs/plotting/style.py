"""One style for every figure: palette, arm colours, journal sizes, fonts and deterministic output.

Colours come from the Okabe-Ito palette (safe for the common colour-vision deficiencies). Every arm
of a study gets one colour, fixed by its position in the study's display order, so an arm looks the
same in the Kaplan-Meier, forest, response and toxicity figures. Widths follow the usual journal
columns (single ~89 mm, double ~183 mm).

Saving is deterministic: the PDF carries no creation date or producer version, the SVG hash salt is
fixed, and the PNG has no software tag, so two runs on the same inputs give byte-identical files.
Matplotlib is imported lazily (only the plotting job pays for it), always with the Agg backend.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

MM = 1 / 25.4  # inches per millimetre
WIDTH_MM = {"single": 89.0, "double": 183.0}
DPI = 300

# Okabe-Ito, without yellow (too light on white) and with black last
PALETTE = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
)
LINESTYLES = ("-", "--", ":", "-.")
NEUTRAL = "#4D4D4D"
GRID = "#D9D9D9"
RECONSTRUCTED = "#8C8C8C"  # trial arms reconstructed from a published curve (grey, dashed)

# best overall response, from best to worst: a colour-blind-safe sequence independent of the arms
RESPONSE_COLORS = {
    "CR": "#004B7A",
    "PR": "#0072B2",
    "SD": "#88C4E8",
    "PD": "#E69F00",
    "NE": "#BDBDBD",
    "missing": "#EDEDED",
}

RC = {
    "backend": "Agg",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans Lite", "DejaVu Sans"],
    "font.size": 7.0,
    "axes.titlesize": 8.0,
    "axes.labelsize": 7.0,
    "xtick.labelsize": 6.5,
    "ytick.labelsize": 6.5,
    "legend.fontsize": 6.5,
    "axes.linewidth": 0.6,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.major.size": 3.0,
    "ytick.major.size": 3.0,
    "lines.linewidth": 1.2,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "pdf.fonttype": 42,  # TrueType fonts embedded, editable text in the PDF
    "ps.fonttype": 42,
    "svg.fonttype": "none",
    "svg.hashsalt": "her2rwe",
    "path.simplify": False,
    "savefig.dpi": DPI,
    "figure.dpi": 100,
}

# no dates, no version strings: identical bytes from identical inputs
PDF_METADATA = {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None}
PNG_METADATA = {"Software": None}
# zlib's fastest level: the same pixels (PNG is lossless at every level) in about half the encoding
# time of Pillow's default level 6, for files about a quarter larger (docs/figures.md)
PNG_OPTIONS = {"compress_level": 1}


def arm_colors(arms: Sequence[str]) -> dict[str, str]:
    """One colour per arm, by its position in the study's display order."""
    return {arm: PALETTE[i % len(PALETTE)] for i, arm in enumerate(arms)}


def group_styles(groups: Sequence[str], arms: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Colour and line style for the groups of a split, keeping every arm's colour.

    A group named after an arm takes the arm's colour; a ``"<level>, <arm>"`` group takes its arm's
    colour with one line style per level; other groups (subgroup levels, ``compare`` groups) take
    the palette colours after those of the arms, in order.
    """
    colors = arm_colors(arms)
    styles: dict[str, dict[str, Any]] = {}
    levels: list[str] = []
    extra = len(arms)
    for group in groups:
        if group in colors:
            styles[group] = {"color": colors[group], "linestyle": "-"}
            continue
        level, _, arm = group.rpartition(", ")
        if level and arm in colors:
            if level not in levels:
                levels.append(level)
            ls = LINESTYLES[levels.index(level) % len(LINESTYLES)]
            styles[group] = {"color": colors[arm], "linestyle": ls}
            continue
        styles[group] = {"color": PALETTE[extra % len(PALETTE)], "linestyle": "-"}
        extra += 1
    return styles


def figure_size(width: str = "double", height_mm: float = 90.0) -> tuple[float, float]:
    """(width, height) in inches for a journal column width ('single' or 'double')."""
    return WIDTH_MM[width] * MM, height_mm * MM


# The PDF backend subsets every embedded TrueType font with fontTools on each save, which for the
# full DejaVu Sans (with its large GSUB/GPOS tables) costs ~0.6 s per font per figure. The figures
# are drawn with "DejaVu Sans Lite": DejaVu Sans cut once to Latin, Greek, punctuation, arrows and
# the comparison signs, without the OpenType layout tables, cached in Matplotlib's cache folder.
# Glyphs outside it fall back to the full DejaVu Sans.
LITE_UNICODES = [
    *range(0x20, 0x7F),
    *range(0xA0, 0x250),
    *range(0x370, 0x400),
    *range(0x2010, 0x2060),
] + [*range(0x2190, 0x2196), 0x2212, 0x2248, 0x2260, 0x2264, 0x2265, 0x221E]
_LITE_VERSION = "1"


SHIPPED_FONTS = {"normal": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf"}


def shipped_font(weight: str) -> Path:
    """The DejaVu Sans file that Matplotlib itself ships (by path, never by family lookup, which
    prefers an operating system's copy when one is installed)."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / SHIPPED_FONTS[weight]


def _pin_fonts(font_manager) -> None:
    """Resolve every DejaVu family only to the files Matplotlib ships or this module builds.

    A system copy of DejaVu Sans (e.g. /usr/share/fonts/truetype/dejavu) has other bytes than
    Matplotlib's, so a PDF that embeds it differs between machines. Removing such entries from the
    font list makes family lookups (the fallback for glyphs outside the reduced font) machine
    independent."""
    import matplotlib

    own = (Path(matplotlib.get_data_path()).resolve(), Path(matplotlib.get_cachedir()).resolve())

    def pinned(entry) -> bool:
        if not entry.name.startswith("DejaVu"):
            return True
        path = Path(entry.fname).resolve()
        return any(root in path.parents for root in own)

    before = len(font_manager.fontManager.ttflist)
    font_manager.fontManager.ttflist = [f for f in font_manager.fontManager.ttflist if pinned(f)]
    if len(font_manager.fontManager.ttflist) != before:
        font_manager.fontManager._findfont_cached.cache_clear()
        font_manager._get_font.cache_clear()


def _lite_font(weight: str) -> Path:
    """Build (once) and return the reduced DejaVu Sans of `weight` ('normal' or 'bold')."""
    import hashlib

    import matplotlib

    src = shipped_font(weight)
    key = hashlib.sha256(src.read_bytes() + _LITE_VERSION.encode()).hexdigest()[:16]
    out = Path(matplotlib.get_cachedir()) / "her2rwe-fonts" / f"DejaVuSansLite-{weight}-{key}.ttf"
    if out.is_file():
        return out
    from fontTools import subset
    from fontTools.ttLib import TTFont

    from her2rwe.io import atomic_path

    options = subset.Options(
        glyph_names=True,
        recommended_glyphs=True,
        notdef_outline=True,
        name_IDs=["*"],
        name_languages=["*"],
        layout_features=[],
    )
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "FFTM"]
    font = TTFont(src)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=LITE_UNICODES)
    subsetter.subset(font)
    for rec in font["name"].names:
        if rec.nameID in (1, 3, 4, 6, 16):
            text = rec.toUnicode()
            rec.string = text.replace("DejaVu Sans", "DejaVu Sans Lite").replace(
                "DejaVuSans", "DejaVuSansLite"
            )
    with atomic_path(out) as tmp:
        font.save(str(tmp))
    return out


_APPLIED = False


def apply() -> None:
    """Select the Agg backend, register the reduced font and set the shared rc parameters."""
    global _APPLIED
    import matplotlib

    matplotlib.use("Agg", force=True)
    if not _APPLIED:
        from matplotlib import font_manager

        _pin_fonts(font_manager)
        known = {f.fname for f in font_manager.fontManager.ttflist}
        for weight in ("normal", "bold"):
            path = _lite_font(weight)
            if str(path) not in known:
                font_manager.fontManager.addfont(str(path))
        _APPLIED = True
    matplotlib.rcParams.update(RC)


def new_figure(width: str = "double", height_mm: float = 90.0) -> Figure:
    """A figure in the shared style, not attached to pyplot (no global state, no GUI)."""
    apply()
    from matplotlib.figure import Figure

    return Figure(figsize=figure_size(width, height_mm))


def drawn_text(fig: Figure) -> list[str]:
    """Every visible, non-empty string the figure draws, in drawing order (one line each; line
    breaks inside a label become ' / '). The drift check compares figures by this text when their
    bytes cannot be compared (another platform)."""
    from matplotlib.axis import Tick
    from matplotlib.text import Text

    def shown(artist) -> bool:
        return artist.get_visible() and (artist.axes is None or artist.axes.get_visible())

    tick_texts = {id(t) for tick in fig.findobj(Tick) for t in tick.findobj(Text)}
    strings = [t.get_text() for t in fig.findobj(Text) if id(t) not in tick_texts and shown(t)]
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if not (shown(ax) and axis.get_visible()):
                continue
            lo, hi = sorted(axis.get_view_interval())
            pad = (hi - lo) * 1e-9
            for loc, label in zip(
                axis.get_majorticklocs(), axis.get_majorticklabels(), strict=False
            ):
                if lo - pad <= loc <= hi + pad and label.get_visible():
                    strings.append(label.get_text())
    return [
        " / ".join(line.strip() for line in text.strip().splitlines())
        for text in strings
        if text.strip()
    ]


def save(
    fig: Figure,
    pdf: str | Path | None = None,
    png: str | Path | None = None,
    text: str | Path | None = None,
) -> None:
    """Write the figure as vector PDF (embedded fonts) and 300-dpi PNG, atomically and
    deterministically, and optionally the text it draws (`drawn_text`), one string a line."""
    from her2rwe.io import atomic_path, write_text

    apply()
    if text is not None:
        fig.canvas.draw()  # tick labels exist only once the figure is drawn
        write_text("".join(f"{line}\n" for line in drawn_text(fig)), text)
    if pdf is not None:
        with atomic_path(pdf) as tmp:
            fig.savefig(tmp, format="pdf", metadata=PDF_METADATA)
    if png is not None:
        with atomic_path(png) as tmp:
            fig.savefig(
                tmp, format="png", dpi=DPI, metadata=PNG_METADATA, pil_kwargs=PNG_OPTIONS
            )


def save_named(fig: Figure, name: str, outputs: Any) -> None:
    """:func:`save` to the ``<name>_pdf``, ``<name>_png`` and ``<name>_txt`` entries of a rule's
    named outputs."""
    save(fig, outputs[f"{name}_pdf"], outputs[f"{name}_png"], outputs[f"{name}_txt"])


def placeholder(
    message: str, title: str = "", width: str = "single", height_mm: float = 45.0
) -> Figure:
    """A clearly labelled figure that says there is nothing to draw, and why."""
    fig = new_figure(width, height_mm)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    if title:
        ax.text(0.5, 0.68, title, ha="center", va="center", fontsize=8, fontweight="bold")
    ax.text(0.5, 0.45, "No data", ha="center", va="center", fontsize=9, color=NEUTRAL)
    ax.text(0.5, 0.28, message, ha="center", va="center", fontsize=6.5, color=NEUTRAL, wrap=True)
    return fig


def ordered(values: Iterable[str], order: Sequence[str] | None) -> list[str]:
    """Values in `order` first (in that order), then the rest in first-seen order."""
    seen = list(dict.fromkeys(values))
    first = [v for v in order or [] if v in seen]
    return first + [v for v in seen if v not in first]
