"""The DOCX tables' font: Arial, measured with the metrics of Liberation Sans, with an embedded
fallback.

Liberation Sans 2.1.5 (SIL Open Font License 1.1, outputs/fonts/OFL.txt) has the advance widths of
Arial glyph for glyph, so a column width measured with it holds in Word with Arial, in LibreOffice
with Liberation Sans, and wherever the embedded copy is used. The fonts ship with the package, so the
measurement never depends on the fonts a machine happens to have.

The document's text is set in Arial; the font table names Liberation Sans as Arial's alternate and
embeds a subset of Liberation Sans (regular and bold, obfuscated as ECMA-376 Part 1, 17.8.1
prescribes) under the Arial entry, renamed "her2rwe Sans" because the licence reserves the name
"Liberation" for unmodified fonts. A reader without Arial (LibreOffice on Linux, for one) sets the
tables in the embedded copy, with the same widths.
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


# ------------------------------------------------------------------------------------------------
# the embedded fallback

EMBEDDED_FAMILY = "her2rwe Sans"  # the embedded subset's own name (the OFL reserves "Liberation")
OBFUSCATED_FONT = "application/vnd.openxmlformats-officedocument.obfuscatedFont"
# always in the subset, so that an editor can type in the tables: printable ASCII, Latin-1, dashes,
# quotes, bullets, and the signs of the tables (<= >= +- x minus arrows micro)
BASE_CHARACTERS = frozenset(
    [*range(0x20, 0x7F), *range(0xA0, 0x100), *range(0x2010, 0x2027), 0x2122, 0x2190, 0x2192,
     0x2212, 0x2264, 0x2265, 0x00B5, 0x2030]
)  # fmt: skip


def obfuscate(data: bytes, key: str) -> bytes:
    """A font as an embedded DOCX font part (ECMA-376 Part 1, 17.8.1): its first 32 bytes XORed
    with the 16 bytes of the GUID `key` ("{XXXXXXXX-...}") taken from its last hex pair to its
    first. The same operation undoes it."""
    guid = bytes.fromhex(key.strip("{}").replace("-", ""))[::-1]
    return bytes(b ^ guid[i % 16] for i, b in enumerate(data[:32])) + data[32:]


@cache
def font_subset(bold: bool, extra: frozenset[int]) -> bytes:
    """Liberation Sans cut to the base characters and `extra`, renamed EMBEDDED_FAMILY (a modified
    version may not carry the reserved name), with fixed timestamps: equal input, equal bytes."""
    import io
    import logging

    from fontTools import subset
    from fontTools.ttLib import TTFont

    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)
    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.name_legacy = True
    options.layout_features = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["FFTM"]
    with TTFont(FONT_DIR / FONT_FILES[bold], recalcTimestamp=False) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=sorted(BASE_CHARACTERS | extra))
        subsetter.subset(font)
        style = "Bold" if bold else "Regular"
        compact = EMBEDDED_FAMILY.replace(" ", "")
        names = {1: EMBEDDED_FAMILY, 3: f"{compact}-{style}", 4: f"{EMBEDDED_FAMILY} {style}",
                 6: f"{compact}-{style}", 16: EMBEDDED_FAMILY}  # fmt: skip
        for record in font["name"].names:
            if record.nameID in names:
                record.string = names[record.nameID]
        buffer = io.BytesIO()
        font.save(buffer)
    return buffer.getvalue()


def embed_fonts(
    document, text: str, name: str = "Arial", alternate: str = "Liberation Sans"
) -> None:
    """Embed the fallback font in a python-docx Document under the font table entry `name` (its
    regular and bold faces, cut to the characters of `text` and the base set), declare `alternate`
    as that font's alternate name, and tell the reader that the document embeds fonts.

    Where Arial is installed a reader uses it; elsewhere it uses the embedded copy (LibreOffice
    does; Word honours embedded fonts per document), with Arial's widths either way. The font keys
    are derived from the font bytes, so the document stays byte-identical for equal content."""
    import hashlib
    import uuid

    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from docx.oxml import OxmlElement, parse_xml
    from docx.oxml.ns import qn
    from lxml import etree

    table = document.part.part_related_by(RT.FONT_TABLE)
    root = parse_xml(table.blob)
    entry = next((f for f in root.findall(qn("w:font")) if f.get(qn("w:name")) == name), None)
    if entry is None:
        entry = OxmlElement("w:font")
        entry.set(qn("w:name"), name)
        root.append(entry)
    alt = OxmlElement("w:altName")
    alt.set(qn("w:val"), alternate)
    entry.insert(0, alt)
    extra = frozenset(ord(ch) for ch in text if not ch.isspace()) - BASE_CHARACTERS
    for n, (tag, bold) in enumerate((("w:embedRegular", False), ("w:embedBold", True)), start=1):
        data = font_subset(bold, extra)
        key = "{" + str(uuid.UUID(bytes=hashlib.sha256(data).digest()[:16])).upper() + "}"
        part = Part(PackURI(f"/word/fonts/font{n}.odttf"), OBFUSCATED_FONT, obfuscate(data, key),
                    table.package)  # fmt: skip
        embed = OxmlElement(tag)
        embed.set(qn("r:id"), table.relate_to(part, RT.FONT))
        embed.set(qn("w:fontKey"), key)
        entry.append(embed)  # after altName, panose1, charset, family, pitch, sig (schema order)
    table._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    settings = document.settings.element
    if settings.find(qn("w:embedTrueTypeFonts")) is None:
        flag = OxmlElement("w:embedTrueTypeFonts")
        # after the few elements that precede it in the schema (view, zoom, ...), before the rest
        before = ("w:writeProtection", "w:view", "w:zoom", "w:removePersonalInformation",
                  "w:removeDateAndTime", "w:doNotDisplayPageBoundaries", "w:displayBackgroundShape",
                  "w:printPostScriptOverText", "w:printFractionalCharacterWidth", "w:printFormsData")  # fmt: skip
        at = max(
            (i + 1 for i, el in enumerate(settings) if el.tag in {qn(t) for t in before}), default=0
        )
        settings.insert(at, flag)
