"""tables.docx as a production editor expects: page size, landscape sections for wide tables,
widths from content, titles kept with their tables, numbered tables listed at the top."""

from __future__ import annotations

import io
import re
import zipfile

import docx
from docx.enum.section import WD_ORIENT

from her2rwe.outputs import docx_fonts
from her2rwe.outputs import docx_tables as dt
from her2rwe.outputs.docx_fonts import text_width_cm
from her2rwe.outputs.report import MarkdownTable

AE_HEADER = [
    "Adverse event",
    *(f"{a} (N = {n}) any grade" if k == 0 else f"{a} grade {g}"
      for a, n in (("Lev", 310), ("Lev+5FU", 304), ("Obs", 315))
      for k, g in enumerate(("", "3-4", "5"))),
]  # fmt: skip
AE_ROWS = [
    ["Interstitial lung disease", "4 (1.3%)", "1 (0.3%)", "0 (0.0%)", "5 (1.6%)", "0 (0.0%)",
     "0 (0.0%)", "3 (1.0%)", "1 (0.3%)", "0 (0.0%)"],
    ["Nausea", "44 (14.2%)", "3 (1.0%)", "0 (0.0%)", "60 (19.7%)", "4 (1.3%)", "0 (0.0%)",
     "20 (6.3%)", "", "0 (0.0%)"],
]  # fmt: skip


def _tables() -> list[MarkdownTable]:
    narrow = MarkdownTable("Survival", ["Endpoint", "Group", "N"], [["PFS", "A", "10"]], ["Note."])
    wide = MarkdownTable("Adverse events", list(AE_HEADER), [list(r) for r in AE_ROWS], [])
    wider = MarkdownTable(
        "Eleven columns", [f"Column {i}" for i in range(11)], [[str(i) for i in range(11)]], []
    )
    return [narrow, wide, wider]


def test_empty_and_all_zero_columns_are_dropped_and_named():
    wide = _tables()[1]
    kept, dropped = dt.drop_empty_columns(wide)
    assert dropped == ["Lev grade 5", "Lev+5FU grade 5", "Obs grade 5"]
    assert len(kept.header) == 7 and kept.rows[1][-1] == ""  # one empty cell keeps its column
    notes = MarkdownTable("t", ["Arm", "N", "Note"], [["A", "3", ""], ["B", "4", "-"]])
    kept, dropped = dt.drop_empty_columns(notes)
    assert kept.header == ["Arm", "N"] and dropped == []  # an empty column goes unnamed


def test_text_is_measured_with_arial_advance_widths():
    # Arial's advance widths in font units of 2048 per em: digits 1139, 'm' 1706 (bold 1821),
    # 'i' 455 (bold 569), space 569; at 9 pt one em is 9 / 72 * 2.54 cm
    em = 9 / 72 * 2.54
    assert abs(text_width_cm("1000", 9) - 4 * 1139 / 2048 * em) < 1e-12
    assert abs(text_width_cm("mi m", 9) - (1706 + 455 + 569 + 1706) / 2048 * em) < 1e-12
    assert abs(text_width_cm("mi m", 9, bold=True) - (1821 + 569 + 569 + 1821) / 2048 * em) < 1e-12


def test_widths_fill_the_text_width_and_never_split_a_word():
    header = ["Adverse event", "Lev+5FU (N = 304) any grade", "Lev+5FU grade 3-4"]
    rows = [["Interstitial lung disease", "148 (98.7%)", "70 (46.7%)"]]
    widths = dt.column_widths(header, rows, 17.0)
    assert abs(sum(widths) - 17.0) < 1e-9
    # the longest piece that may not break, per column: a number cell counts whole
    longest = [("Interstitial", False), ("148 (98.7%)", False), ("70 (46.7%)", False)]

    def least(size):
        return [text_width_cm(w, size, bold) + dt.PAD_CM for w, bold in longest]

    assert all(w >= m - 1e-9 for w, m in zip(widths, least(9), strict=True))
    # too little room for every cell in full: still no column under its longest word
    narrow = dt.column_widths(header, rows, 7.0)
    assert abs(sum(narrow) - 7.0) < 1e-9
    assert all(w >= m - 1e-9 for w, m in zip(narrow, least(9), strict=True))
    # narrower still: the number cells may break at their space ("148" / "(98.7%)"), and the
    # longest words are then the bold arm name of the headers
    numbers = [("Interstitial", False), ("Lev+5FU", True), ("Lev+5FU", True)]
    assert dt.column_widths(header, rows, sum(least(9)) - 0.01) is not None
    room = sum(text_width_cm(w, 9, b) + dt.PAD_CM for w, b in numbers) + 0.01
    assert dt.column_widths(header, rows, room) is not None
    # no room for the longest words at 9 pt: the table is set at 8 or 7 pt instead
    room = sum(text_width_cm(w, 8, b) + dt.PAD_CM for w, b in numbers) + 0.01
    assert dt.column_widths(header, rows, room) is None
    size, widths = dt.table_layout(header, rows, room)
    assert size == 8 and abs(sum(widths) - room) < 1e-9


def test_document_layout(tmp_path):
    path = tmp_path / "t.docx"
    dt.write_docx(
        _tables(), path, heading="Study", page_size="Letter", arms=["Lev", "Lev+5FU", "Obs"]
    )
    again = tmp_path / "u.docx"
    dt.write_docx(
        _tables(), again, heading="Study", page_size="Letter", arms=["Lev", "Lev+5FU", "Obs"]
    )
    assert path.read_bytes() == again.read_bytes()
    document = docx.Document(str(path))
    sections = document.sections
    # portrait first; the 7-column table (after dropping) stays portrait; 11 columns: landscape
    assert [s.orientation for s in sections] == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE]
    assert (
        abs(sections[0].page_width.cm - 21.59) < 0.01
        and abs(sections[0].page_height.cm - 27.94) < 0.01
    )
    assert abs(sections[1].page_width.cm - 27.94) < 0.01
    texts = [p.text for p in document.paragraphs]
    listed = texts[texts.index("Tables") + 1 : texts.index("Tables") + 4]
    assert listed == ["Table 1. Survival", "Table 2. Adverse events", "Table 3. Eleven columns"]
    titles = [p for p in document.paragraphs if p.text.startswith("Table 2. Adverse")]
    assert titles[-1].paragraph_format.keep_with_next is True
    assert "Columns with no value or only zero counts are not shown: Lev grade 5" in "\n".join(
        texts
    )
    ae = document.tables[1]
    top = [c.text for c in ae.rows[0].cells]
    assert top[1] == top[2] == "Lev (N = 310)"  # a merged spanning arm header
    assert [c.text for c in ae.rows[1].cells][:3] == ["Adverse event", "any grade", "grade 3-4"]
    with zipfile.ZipFile(path) as z:
        body = z.read("word/document.xml").decode()
    assert body.count("<w:tblHeader") >= 3 and "Table Grid" not in body
    # the widths are in the grid columns, which LibreOffice lays the table out by
    grid = [
        [int(w) for w in re.findall(r'<w:gridCol w:w="(\d+)"', g)]
        for g in re.findall(r"<w:tblGrid>.*?</w:tblGrid>", body)
    ]
    assert len(set(grid[1])) > 1  # not equal columns
    text_twips = (21.59 - 2 * dt.MARGIN_CM) * dt.TWIPS_PER_CM
    assert abs(sum(grid[0]) - text_twips) <= len(grid[0])  # the text width, to rounding


def test_a4_page(tmp_path):
    path = tmp_path / "a4.docx"
    dt.write_docx(_tables()[:1], path, page_size="A4")
    section = docx.Document(str(path)).sections[0]
    assert abs(section.page_width.cm - 21.0) < 0.01 and abs(section.page_height.cm - 29.7) < 0.01


def test_obfuscation_follows_ecma_376():
    # 17.8.1: the key's 16 bytes from its last hex pair to its first, XORed into bytes 0-31
    key = "{00112233-4455-6677-8899-AABBCCDDEEFF}"
    data = bytes(40)
    reversed_key = bytes([0xFF, 0xEE, 0xDD, 0xCC, 0xBB, 0xAA, 0x99, 0x88,
                          0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00])  # fmt: skip
    assert docx_fonts.obfuscate(data, key) == reversed_key * 2 + bytes(8)
    assert docx_fonts.obfuscate(docx_fonts.obfuscate(b"x" * 50, key), key) == b"x" * 50


def test_the_fallback_font_is_embedded_with_arial_widths(tmp_path):
    from fontTools.ttLib import TTFont

    path = tmp_path / "t.docx"
    dt.write_docx(_tables(), path, heading="Study \u2265 3", page_size="A4", arms=["Lev"])
    with zipfile.ZipFile(path) as z:
        fonts = z.read("word/fontTable.xml").decode()
        rels = z.read("word/_rels/fontTable.xml.rels").decode()
        settings = z.read("word/settings.xml").decode()
        types = z.read("[Content_Types].xml").decode()
        parts = {n: z.read(n) for n in z.namelist() if n.startswith("word/fonts/")}
    targets = dict(re.findall(r'Id="([^"]+)"[^>]*Target="([^"]+)"', rels))
    arial = re.search(r'<w:font w:name="Arial">.*?</w:font>', fonts, flags=re.S).group(0)
    assert '<w:altName w:val="Liberation Sans"/>' in arial
    embedded = re.findall(
        r'<w:(embedRegular|embedBold) r:id="([^"]+)" w:fontKey="([^"]+)"/>', arial
    )
    assert sorted(tag for tag, _, _ in embedded) == ["embedBold", "embedRegular"]
    assert rels.count("relationships/font") == 2 and "<w:embedTrueTypeFonts/>" in settings
    assert types.count("application/vnd.openxmlformats-officedocument.obfuscatedFont") == 2
    assert len(parts) == 2
    for tag, rid, key in embedded:
        data = parts["word/" + targets[rid]]
        font = TTFont(io.BytesIO(docx_fonts.obfuscate(data, key)))
        assert font["name"].getDebugName(1) == "her2rwe Sans"  # not the reserved name
        bold = tag == "embedBold"
        original = TTFont(docx_fonts.FONT_DIR / docx_fonts.FONT_FILES[bold])
        cmap = font.getBestCmap()
        assert 0x2265 in cmap  # the heading's >= sign, outside the base set
        for ch in "Characteristic 0123456789%()-+":
            ours = font["hmtx"][cmap[ord(ch)]][0]
            theirs = original["hmtx"][original.getBestCmap()[ord(ch)]][0]
            assert ours == theirs, ch
        font.close()
        original.close()
