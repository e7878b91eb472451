"""The DOCX tables' font: Arial, measured with the metrics of Liberation Sans.

Liberation Sans 2.1.5 (SIL Open Font License 1.1, outputs/fonts/OFL.txt) has the advance widths of
Arial glyph for glyph, so a column width measured with it holds in Word with Arial, in LibreOffice
with Liberation Sans, and wherever the embedded copy is used. The fonts ship with the package, so the
measurement never depends on the fonts a machine happens to have.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

FONT_DIR = Path(__file__).with_name("fonts")
FONT_FILES = {False: "LiberationSans-Regular.ttf", True: "LiberationSans-Bold.ttf"}
PT_PER_CM = 72 / 2.54


@cache
def _advances(bold: bool) -> tuple[dict[int, float], float]:
    """Advance width of each character in em, and that of the fallback glyph (.notdef)."""
    from fontTools.ttLib import TTFont

    with TTFont(FONT_DIR / FONT_FILES[bold]) as font:
        units = font["head"].unitsPerEm
        metrics = dict(font["hmtx"].metrics)
        cmap = font.getBestCmap()
    widths = {code: metrics[glyph][0] / units for code, glyph in cmap.items()}
    return widths, metrics[".notdef"][0] / units


def text_width_cm(text: str, size_pt: float, bold: bool = False) -> float:
    """The printed width of `text` in cm at `size_pt` (advance widths, no kerning: kerning only
    narrows a line, so the width never falls short)."""
    widths, notdef = _advances(bold)
    em = sum(widths.get(ord(ch), notdef) for ch in text)
    return em * size_pt / PT_PER_CM
