"""tables.docx opens in LibreOffice with no word split across lines without a hyphen.

The DOCX files are converted to PDF by LibreOffice (`soffice --headless --convert-to pdf`, with a
user profile of its own), and the printed lines are read back from the PDF with the position of
every character (pdfminer.six). A line's characters are cut into cell fragments at gaps wider than
the cell margins and into words at word spaces. A word of the DOCX split across two lines shows in
the PDF as pieces that are no word of the DOCX, and as one occurrence fewer of the word itself; a
break after a hyphen ("log-" / "log") is allowed. Checked for the tables of the bundled run (built
with the current code from the frozen Markdown tables in tests/expected_results) and for those of a
long-follow-up, three-arm synthetic cohort. Skipped where LibreOffice is not installed (.ci/run
installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from her2rwe.config import validate_config
from her2rwe.outputs import docx_tables
from her2rwe.outputs.report import MarkdownTable, parse_markdown_tables

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = ROOT / "tests" / "expected_results"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")


# ------------------------------------------------------------------------------------------------
# DOCX words and PDF lines


def docx_words(path: Path) -> Counter:
    """Every whitespace-separated word of every paragraph (body and table cells) of the DOCX."""
    with zipfile.ZipFile(path) as z:
        xml = z.read("word/document.xml").decode()
    words: Counter = Counter()
    for paragraph in re.findall(r"<w:p[ >].*?</w:p>", xml, flags=re.S):
        text = "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", paragraph))
        text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
        words.update(text.split())
    return words


def to_pdf(docx_files: list[Path], out: Path, env: dict[str, str] | None = None) -> list[Path]:
    """The DOCX files as PDF, converted by LibreOffice in one call."""
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation={(out / 'profile').as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(out), *map(str, docx_files)],
        check=True, capture_output=True, timeout=300, env=env,
    )  # fmt: skip
    pdfs = [out / f"{p.stem}.pdf" for p in docx_files]
    assert all(p.exists() for p in pdfs), [p.name for p in pdfs if not p.exists()]
    return pdfs


def pdf_font_names(path: Path) -> set[str]:
    """The names of the fonts the PDF's characters are set in (without the subset tag)."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar

    names = set()

    def walk(obj):
        if isinstance(obj, LTChar):
            names.add(obj.fontname.split("+")[-1])
        elif hasattr(obj, "__iter__"):
            for child in obj:
                walk(child)

    for page in extract_pages(str(path), laparams=None):
        walk(page)
    return names


def pdf_fragments(path: Path) -> list[list[tuple[str, float, float]]]:
    """Per printed line, per cell fragment: the words, each as (text, x0, x1), top to bottom."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar

    def chars(obj):
        if isinstance(obj, LTChar):
            yield obj
        elif hasattr(obj, "__iter__"):
            for child in obj:
                yield from chars(child)

    lines = []
    for page in extract_pages(str(path), laparams=None):
        by_line: list[list] = []
        for c in sorted(chars(page), key=lambda c: (-round(c.y0, 1), c.x0)):
            if by_line and abs(by_line[-1][0].y0 - c.y0) < 1.0:
                by_line[-1].append(c)
            else:
                by_line.append([c])
        for row in by_line:
            row.sort(key=lambda c: c.x0)
            fragments: list[list[tuple[str, float, float]]] = []
            previous = None
            for c in row:
                text = c.get_text()
                em = c.size
                gap = None if previous is None else c.x0 - previous.x1
                if gap is None or gap > 0.6 * em:
                    fragments.append([])  # a new cell (wider than a word space)
                    word = None
                elif gap > 0.12 * em or not previous.get_text().strip():
                    word = None
                if not text.strip():
                    word = None
                else:
                    if word is None:
                        word = [text, c.x0, c.x1]
                        fragments[-1].append(word)
                    else:
                        word[0] += text
                        word[2] = c.x1
                previous = c
            lines.append([[tuple(w) for w in f] for f in fragments if f])
    return lines


def split_words(pdf: Path, words: Counter) -> list[str]:
    """The words of `words` that the PDF prints split across lines other than after a hyphen."""
    lines = pdf_fragments(pdf)
    printed: Counter = Counter()
    hyphen_pieces = set()  # (line, x0) of the second piece of a word broken after its hyphen
    for line_no, fragments in enumerate(lines):
        for fragment in fragments:
            tokens = [w[0] for w in fragment]
            last = fragment[-1]
            if last[0].endswith("-") and last[0] not in words and line_no + 1 < len(lines):
                # a hyphen break: join with the first word of the fragment below it
                below = [
                    f
                    for f in lines[line_no + 1]
                    if f[0][1] < last[2] + 1 and f[-1][2] > fragment[0][1] - 1
                ]
                if below and last[0] + below[0][0][0] in words:
                    tokens[-1] = last[0] + below[0][0][0]
                    hyphen_pieces.add((line_no + 1, below[0][0][1]))
            printed.update(tokens)
    for line_no, x0 in hyphen_pieces:
        printed[next(w[0] for f in lines[line_no] for w in f if w[1] == x0)] -= 1
    problems = [
        f"{w!r} printed {printed[w]} of {n} times whole" for w, n in words.items() if printed[w] < n
    ]
    problems += [
        f"{w!r} is no word of the DOCX" for w in printed if printed[w] > 0 and w not in words
    ]
    return problems


# ------------------------------------------------------------------------------------------------
# the tables


def _bundled() -> dict[str, dict]:
    cfg = validate_config(yaml.safe_load((ROOT / "config.yaml").read_text()))
    return dict(sorted(cfg["studies"].items()))


def bundled_tables(study: str) -> tuple[list[MarkdownTable], list[str]]:
    """Every frozen Markdown table of a bundled study (a superset of those in tables.docx) and its
    arms in display order."""
    root = EXPECTED / study
    tables = []
    for md in sorted(root.glob("*/*.md")):
        if md.parent.name != "adjusted":
            tables += [t for t in parse_markdown_tables(md.read_text(encoding="utf-8")) if t.rows]
    survival = pd.read_csv(root / "tables" / "survival.csv", dtype=str)
    arms = list(dict.fromkeys(survival.loc[survival["split"] == "arm", "group"]))
    return tables, [*arms, "Overall"]


ARMS = ("Observation", "Levamisole", "Levamisole+5-fluorouracil")


def three_arm_tables(tmp_path: Path) -> tuple[list[MarkdownTable], list[str]]:
    """The manuscript tables of a long-follow-up (about 105 months), three-arm synthetic cohort
    (not patient data), from its files through the package as the workflow builds them."""
    from her2rwe.analyses import survival
    from her2rwe.derive.dataset import build_study_data
    from her2rwe.outputs import survival_tables
    from her2rwe.outputs.study_tables import summarize_study_tables

    rng = np.random.default_rng(20261125)
    n = 619
    arm = np.array(ARMS)[rng.integers(0, 3, n)]
    cohort = pd.DataFrame(
        {
            "patient_id": [f"S{i:04d}" for i in range(n)],
            "arm": arm,
            "differentiation": rng.choice(["well", "moderate", "poor"], n),
            "nodes": rng.choice(["0-3", "4+"], n),
            "age": rng.integers(27, 86, n),
            "obstruction": rng.choice(["yes", "no"], n),
            "best_response": rng.choice(["CR", "PR", "SD", "PD", "NE"], n),
        }
    )
    rate = np.select([arm == ARMS[2], arm == ARMS[1]], [0.010, 0.016], 0.018)
    for ep, scale in (("pfs", 1.0), ("os", 0.7)):
        t = rng.exponential(1 / (rate * scale))
        censor = rng.uniform(60, 105, n)
        cohort[f"{ep}_months"] = np.round(np.minimum(t, censor), 2)
        cohort[f"{ep}_event"] = (t <= censor).astype(int)
    terms = [
        ("Interstitial lung disease", "respiratory"),
        ("Palmar-plantar erythrodysesthesia syndrome", "dermatologic"),
        ("Nausea", "gastrointestinal"),
        ("Neutrophil count decreased", "hematologic"),
    ]
    ae_rows = [
        (pid, term, int(rng.integers(1, 5)), cat)
        for pid in cohort["patient_id"]
        for term, cat in terms
        if rng.random() < 0.3
    ]
    ae = pd.DataFrame(ae_rows, columns=["patient_id", "term", "grade", "category"])
    note = "# SYNTHETIC DATA: a three-arm test cohort; no row describes a real patient.\n"
    (tmp_path / "cohort.csv").write_text(note + cohort.to_csv(index=False))
    (tmp_path / "adverse_events.csv").write_text(note + ae.to_csv(index=False))
    study = validate_config(
        {
            "studies": {
                "three_arm": {
                    "title": "Three-arm long-follow-up cohort (synthetic)",
                    "synthetic": True,
                    "cohort": "cohort.csv",
                    "adverse_events": "adverse_events.csv",
                    "arms": {"column": "arm", "reference": "Observation"},
                    "endpoints": ["pfs", "os"],
                    "covariates": ["age", "differentiation", "nodes", "obstruction"],
                    "landmarks": [12, 24, 60, 96],
                    "subgroups": [
                        {"variable": "differentiation", "label": "Differentiation of the tumour"},
                        {"variable": "nodes", "label": "Positive lymph nodes", "km": False},
                    ],
                }
            }
        }
    )["studies"]["three_arm"]
    data = build_study_data(study, tmp_path / "cohort.csv", tmp_path / "adverse_events.csv")
    results = survival.summarize_survival(data.dataset, study)
    texts = list(survival.format_tables(results, study).values())
    texts.append(survival_tables.format_landmarks(results.landmarks, study))
    texts.append(survival_tables.format_subgroups(results.subgroup_survival, study))
    other = summarize_study_tables(study, data.dataset, data.adverse_events, True)
    texts += [t.markdown for t in other.values()]
    tables = [t for text in texts for t in parse_markdown_tables(text) if t.rows]
    return tables, [*ARMS, "Overall"]


# ------------------------------------------------------------------------------------------------
# tests


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """(name, docx, pdf) for every bundled study and the three-arm cohort, in one LibreOffice run."""
    tmp = tmp_path_factory.mktemp("libreoffice")
    docs = []
    for study in _bundled():
        tables, arms = bundled_tables(study)
        path = tmp / f"{study}.docx"
        docx_tables.write_docx(tables, path, heading=study, page_size="A4", arms=arms)
        docs.append(path)
    tables, arms = three_arm_tables(tmp)
    path = tmp / "three_arm.docx"  # A4, the narrower page
    docx_tables.write_docx(tables, path, heading="Three arms", page_size="A4", arms=arms)
    docs.append(path)
    return [(d.stem, d, p) for d, p in zip(docs, to_pdf(docs, tmp / "pdf"), strict=True)]


def test_no_word_is_split_across_lines(converted):
    bad = {
        name: problems[:8]
        for name, docx, pdf in converted
        if (problems := split_words(pdf, docx_words(docx)))
    }
    assert not bad


def test_the_check_sees_a_word_split_in_a_narrow_column(tmp_path, monkeypatch):
    """A column given less than its longest word ('Characteristic'): LibreOffice breaks the word
    mid-word and the check says so."""
    table = MarkdownTable(
        "Narrow", ["Characteristic", "Median, months (95% CI)"],
        [["Interstitial lung disease", "16.9 (14.5-33.3)"]], [],
    )  # fmt: skip
    monkeypatch.setattr(
        docx_tables, "table_layout", lambda header, rows, available: (9, [1.2, 4.0])
    )
    path = tmp_path / "narrow.docx"
    docx_tables.write_docx([table], path, page_size="A4")
    (pdf,) = to_pdf([path], tmp_path / "pdf")
    problems = split_words(pdf, docx_words(path))
    assert any("'Characteristic'" in p for p in problems), problems
    assert any("'Interstitial'" in p for p in problems), problems


def test_without_arial_or_liberation_the_embedded_font_sets_the_tables(converted, tmp_path):
    """On a machine whose only fonts are DejaVu (no Arial, no Liberation Sans), LibreOffice sets
    the tables in the DOCX's embedded fallback, with Arial's widths: still no word split."""
    name, docx, _ = next(c for c in converted if c[0] == "three_arm")
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        "  <dir>/usr/share/fonts/truetype/dejavu</dir>\n"
        f"  <cachedir>{tmp_path / 'cache'}</cachedir>\n</fontconfig>\n"
    )
    env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    (pdf,) = to_pdf([docx], tmp_path / "pdf", env)
    assert pdf_font_names(pdf) <= {"her2rweSans-Regular", "her2rweSans-Bold"}, pdf_font_names(pdf)
    assert split_words(pdf, docx_words(docx)) == []
