"""The drift check: compare a run's shareable results with a frozen copy, number by number.

`freeze` copies the shareable outputs of a results folder (everything but patient-level files, the
unsuppressed `internal/` tables, logs and the byte manifest) into a folder of expected results and
records the platform they were made on. `verify` compares a results folder with such a copy and
names every difference:

- CSV tables and parquet curve tables, cell by cell. Rows are matched by their label columns (the
  columns whose expected values are all text) when those identify each row, else by position.
  Integers (counts) and text compare exactly; other numbers compare within `rtol` relative, or
  `atol` absolute for values near 0; an empty cell against a value is a difference.
- Markdown, text and DOCX files compare as text: their numbers are rounded already, so exactly.
- Figures: on the platform that froze them (same OS, architecture and library versions) the PDF and
  PNG bytes. On another platform the bytes are not compared; a figure is then checked through the
  data it draws: the text it prints (`figures/text/*.txt`, every string drawn, in drawing order),
  exactly, and, in a copy frozen with `curves=True`, the curve and risk tables (`survival/`).
- A file in one folder and not the other is a difference.

The report is `file: row key: column: expected X, got Y (relative difference Z)`, one line per
difference, at most `max_lines` of them, then a count.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from her2rwe.io import write_bytes, write_text

FROZEN_INFO = "FROZEN.json"

# outputs that are never frozen: patient-level data, unsuppressed tables, logs, and files that carry
# a time stamp or the bytes of every other file
PATIENT_LEVEL = {"analysis_dataset.parquet", "adverse_events.parquet", "lines_of_therapy.parquet"}
EXCLUDED_DIRS = {"internal", "logs"}
# the exact curves behind the figures (unsuppressed: not shareable when small cells are masked);
# frozen only when asked, for checking figures across platforms through the data they draw
CURVE_DIRS = {"survival"}
# (the HTML reports, results/report.html and results/{study}/report.html, embed the figures' bytes
# and are built from files that are frozen themselves)
EXCLUDED_FILES = {"MANIFEST.sha256", "report.html"}
TEXT_SUFFIXES = {".md", ".txt", ".html", ".json"}
TABLE_SUFFIXES = {".csv", ".parquet"}
FIGURE_SUFFIXES = {".pdf", ".png", ".svg"}
DEFAULT_RTOL = 1e-9
DEFAULT_ATOL = 1e-12
DEFAULT_MAX_LINES = 50

_INT = re.compile(r"^[+-]?\d+$")


def shareable_files(results: str | Path, curves: bool = False) -> list[str]:
    """Relative POSIX paths of the shareable outputs under `results`, sorted; with `curves`, also
    the curve tables under `survival/`."""
    skip = EXCLUDED_DIRS if curves else EXCLUDED_DIRS | CURVE_DIRS
    root = Path(results)
    found = []
    for path in root.rglob("*"):
        if not path.is_file() or path.name.startswith("."):
            continue
        rel = path.relative_to(root)
        if set(rel.parts[:-1]) & skip:
            continue
        if rel.name in PATIENT_LEVEL or rel.name in EXCLUDED_FILES:
            continue
        if rel.name == FROZEN_INFO:
            continue
        found.append(rel.as_posix())
    return sorted(found)


def platform_fingerprint() -> dict[str, str]:
    """What decides the bytes of a figure: OS, architecture and the drawing libraries' versions."""
    import platform
    import sys

    import matplotlib
    import numpy

    try:
        from matplotlib import ft2font

        freetype = ft2font.__freetype_version__
    except Exception:  # pragma: no cover - very old matplotlib
        freetype = "unknown"
    return {
        "system": platform.system(),
        "machine": platform.machine(),
        "python": ".".join(map(str, sys.version_info[:2])),
        "matplotlib": matplotlib.__version__,
        "numpy": numpy.__version__,
        "freetype": freetype,
    }


def freeze(results: str | Path, to: str | Path, curves: bool = False) -> list[str]:
    """Copy the shareable outputs of `results` into `to` (replacing what was there) and record the
    platform. With `curves`, the exact curve tables behind the figures (`survival/`) are copied too:
    they let figures be checked across platforms, but they are not suppressed, so such a copy is not
    shareable when `min_cell_count` masks small cells. Returns the copied paths."""
    src, dst = Path(results), Path(to)
    files = shareable_files(src, curves)
    if not files:
        raise FileNotFoundError(f"{src}: no shareable results to freeze (run the workflow first)")
    if dst.resolve() == src.resolve() or src.resolve() in dst.resolve().parents:
        raise ValueError(f"{dst}: the frozen copy cannot live inside the results folder {src}")
    if dst.exists():
        for rel in shareable_files(dst, curves=True):
            (dst / rel).unlink()
    for rel in files:
        write_bytes((src / rel).read_bytes(), dst / rel)
    info = {"platform": platform_fingerprint(), "files": len(files), "curves": curves}
    write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", dst / FROZEN_INFO)
    # drop folders the new copy no longer uses
    for folder in sorted((p for p in dst.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
    return files


@dataclass
class Drift:
    file: str
    where: str
    expected: str
    got: str
    rel: float | None = None

    def __str__(self) -> str:
        text = f"{self.file}: {self.where}: expected {self.expected}, got {self.got}"
        if self.rel is not None:
            text += f" (relative difference {self.rel:.3g})"
        return text


@dataclass
class Report:
    drifts: list[Drift] = field(default_factory=list)
    compared: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.drifts

    def render(self, max_lines: int = DEFAULT_MAX_LINES) -> str:
        lines = [str(d) for d in self.drifts[:max_lines]]
        if len(self.drifts) > max_lines:
            lines.append(f"... and {len(self.drifts) - max_lines} more")
        files = len({d.file for d in self.drifts})
        lines += self.notes
        if self.drifts:
            lines.append(
                f"drift: {len(self.drifts)} difference(s) in {files} of {self.compared} file(s)"
            )
        else:
            lines.append(f"no drift: {self.compared} file(s) agree")
        return "\n".join(lines)


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value


def compare_cells(expected: str, got: str, rtol: float, atol: float) -> tuple[bool, float | None]:
    """(equal, relative difference) for two cells written as text."""
    if expected == got:
        return True, None
    if expected == "" or got == "":
        return False, None
    if _INT.match(expected) and _INT.match(got):
        return False, None
    a, b = _number(expected), _number(got)
    if a is None or b is None:
        return False, None
    if math.isnan(a) and math.isnan(b):
        return True, None
    if math.isinf(a) or math.isinf(b):
        return a == b, None
    diff = abs(a - b)
    scale = max(abs(a), abs(b))
    rel = diff / scale if scale > 0 else 0.0
    return diff <= atol or diff <= rtol * scale, rel


def _read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value)


def _read_parquet(path: Path) -> list[list[str]]:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    columns = table.column_names
    data = [table.column(name).to_pylist() for name in columns]
    return [list(columns)] + [[_cell_text(col[i]) for col in data] for i in range(table.num_rows)]


def _label_columns(header: list[str], rows: list[list[str]]) -> list[int]:
    """Columns whose values are all text (not numbers): they name a row."""
    labels = []
    for j in range(len(header)):
        values = [row[j] for row in rows if j < len(row) and row[j] != ""]
        if values and all(_number(v) is None for v in values):
            labels.append(j)
    return labels


def _row_key(header: list[str], row: list[str], labels: list[int]) -> str:
    parts = [f"{header[j]}={row[j]}" for j in labels if j < len(row)]
    return ", ".join(parts)


def compare_tables(
    name: str, expected: list[list[str]], got: list[list[str]], rtol: float, atol: float
) -> list[Drift]:
    drifts: list[Drift] = []
    if not expected or not got:
        if expected != got:
            drifts.append(Drift(name, "content", f"{len(expected)} line(s)", f"{len(got)} line(s)"))
        return drifts
    header, rows = expected[0], expected[1:]
    got_header, got_rows = got[0], got[1:]
    if header != got_header:
        missing = [c for c in header if c not in got_header]
        extra = [c for c in got_header if c not in header]
        drifts.append(
            Drift(
                name,
                "columns",
                ", ".join(missing) or "(same set)",
                ", ".join(extra) or "(same set, other order)",
            )
        )
        return drifts
    labels = _label_columns(header, rows)
    keys = [_row_key(header, row, labels) for row in rows]
    got_keys = [_row_key(header, row, labels) for row in got_rows]
    by_key = bool(labels) and len(set(keys)) == len(keys) and len(set(got_keys)) == len(got_keys)
    if by_key:
        got_index = dict(zip(got_keys, got_rows, strict=True))
        pairs = [(k, row, got_index.get(k)) for k, row in zip(keys, rows, strict=True)]
        for k in got_keys:
            if k not in set(keys):
                drifts.append(Drift(name, f"row {k}", "no such row", "a row"))
    else:
        pairs = []
        for i, row in enumerate(rows):
            other = got_rows[i] if i < len(got_rows) else None
            key = f"row {i + 1}" + (f" ({keys[i]})" if keys[i] else "")
            pairs.append((key, row, other))
        if len(got_rows) > len(rows):
            drifts.append(Drift(name, "rows", str(len(rows)), str(len(got_rows))))
    for key, row, other in pairs:
        where = key if key.startswith("row ") else f"row {key}"
        if other is None:
            drifts.append(Drift(name, where, "a row", "no such row"))
            continue
        for j, column in enumerate(header):
            a = row[j] if j < len(row) else ""
            b = other[j] if j < len(other) else ""
            equal, rel = compare_cells(a, b, rtol, atol)
            if not equal:
                drifts.append(
                    Drift(
                        name,
                        f"{where}: {column}",
                        repr(a) if a == "" else a,
                        repr(b) if b == "" else b,
                        rel,
                    )
                )
    return drifts


def docx_text(path: Path) -> list[str]:
    """The text of a DOCX, one paragraph or table cell a line."""
    import zipfile
    from xml.etree import ElementTree

    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    with zipfile.ZipFile(path) as zf:
        root = ElementTree.fromstring(zf.read("word/document.xml"))
    lines = []
    for para in root.iter(f"{ns}p"):
        lines.append("".join(t.text or "" for t in para.iter(f"{ns}t")))
    return lines


def _text_lines(path: Path) -> list[str]:
    if path.suffix == ".docx":
        return docx_text(path)
    return path.read_text(encoding="utf-8").splitlines()


def compare_text(name: str, expected: list[str], got: list[str], limit: int = 5) -> list[Drift]:
    drifts = []
    for i in range(max(len(expected), len(got))):
        a = expected[i] if i < len(expected) else "(no line)"
        b = got[i] if i < len(got) else "(no line)"
        if a != b:
            drifts.append(Drift(name, f"line {i + 1}", repr(a), repr(b)))
            if len(drifts) >= limit:
                drifts.append(Drift(name, "further lines", "not compared", "..."))
                break
    return drifts


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def _read_info(expected: Path) -> dict:
    info_path = expected / FROZEN_INFO
    if not info_path.is_file():
        return {}
    return json.loads(info_path.read_text(encoding="utf-8"))


def iter_pairs(
    expected: Path, results: Path, curves: bool
) -> Iterator[tuple[str, Path | None, Path | None]]:
    want = shareable_files(expected, curves)
    have = shareable_files(results, curves)
    for rel in sorted(set(want) | set(have)):
        yield (
            rel,
            expected / rel if rel in want else None,
            results / rel if rel in have else None,
        )


def verify(
    expected: str | Path,
    results: str | Path = "results",
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
) -> Report:
    """Compare `results` with the frozen copy in `expected` (module docstring)."""
    expected, results = Path(expected), Path(results)
    if not expected.is_dir():
        raise FileNotFoundError(f"{expected}: no folder of expected results")
    if not results.is_dir():
        raise FileNotFoundError(f"{results}: no results folder")
    info = _read_info(expected)
    frozen_on = info.get("platform")
    same_platform = frozen_on == platform_fingerprint()
    report = Report()
    if not same_platform:
        report.notes.append(
            "figures: frozen on another platform"
            + (f" ({_platform_text(frozen_on)})" if frozen_on else "")
            + "; PDF/PNG bytes not compared, figures checked through their data and printed text"
        )
    for rel, want, have in iter_pairs(expected, results, bool(info.get("curves"))):
        report.compared += 1
        if want is None:
            report.drifts.append(Drift(rel, "file", "no such file", "a file"))
            continue
        if have is None:
            report.drifts.append(Drift(rel, "file", "a file", "no such file"))
            continue
        suffix = want.suffix
        if suffix == ".csv":
            report.drifts += compare_tables(rel, _read_csv(want), _read_csv(have), rtol, atol)
        elif suffix == ".parquet":
            report.drifts += compare_tables(
                rel, _read_parquet(want), _read_parquet(have), rtol, atol
            )
        elif suffix in TEXT_SUFFIXES or suffix == ".docx":
            report.drifts += compare_text(rel, _text_lines(want), _text_lines(have))
        elif suffix in FIGURE_SUFFIXES:
            if same_platform and want.read_bytes() != have.read_bytes():
                report.drifts.append(Drift(rel, "bytes", _digest(want), _digest(have)))
        elif want.read_bytes() != have.read_bytes():
            report.drifts.append(Drift(rel, "bytes", _digest(want), _digest(have)))
    return report


def _platform_text(info: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(info.items()))
