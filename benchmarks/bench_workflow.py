"""Time the whole workflow on the bundled studies: a fresh full run, and a rerun with nothing to do.

The bundled config and cohorts are copied into a temporary project folder, so the repository's own
results/ is never touched. A fresh run is every table and figure of every study (not the HTML
report, which `snakemake --report` builds on request). Each measurement is repeated and the median
reported, with the load average before the run, since other processes on the machine slow it down.

    python benchmarks/bench_workflow.py [--repeat 3] [--write-doc docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SECTION = "## Workflow"


def project_copy(dest: Path) -> Path:
    shutil.copy(REPO / "config.yaml", dest / "config.yaml")
    shutil.copytree(
        REPO / "data" / "raw",
        dest / "data" / "raw",
        ignore=shutil.ignore_patterns("results", ".snakemake"),
    )
    return dest


COMPILED = (
    "The package's modules are byte-compiled before the runs (`compileall`, as installing a "
    "package does;\nthis machine sets PYTHONDONTWRITEBYTECODE=1, under which every job would "
    "compile them again)."
)


def compile_package() -> None:
    """Byte-compile the her2rwe package's modules (as installing a package does; ``COMPILED``).

    Where PYTHONDONTWRITEBYTECODE is set (these machines set it), Python never caches the compiled
    modules of an editable install, and every job compiles the modules it imports again: about
    0.1-0.2 s of CPU per job, a cost that a user's installation does not pay after its first run.
    """
    import compileall

    import her2rwe

    compileall.compile_dir(Path(her2rwe.__file__).parent, quiet=1)


def snakemake(project: Path, *extra: str) -> float:
    exe = Path(sys.executable).with_name("snakemake")
    cmd = [
        str(exe),
        "-s",
        str(REPO / "Snakefile"),
        "-d",
        str(project),
        "--cores",
        "2",
        "-q",
        *extra,
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"snakemake failed:\n{proc.stderr[-3000:]}")
    return elapsed


def measure(repeat: int) -> dict[str, list[float]]:
    compile_package()
    fresh, noop, loads = [], [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="her2rwe-bench-") as tmp:
            project = project_copy(Path(tmp))
            loads.append(os.getloadavg()[0])
            fresh.append(snakemake(project))
            noop.append(snakemake(project))
    return {"fresh": fresh, "noop": noop, "load": loads}


def commit() -> str:
    out = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return out.stdout.strip() or "unknown"


def section(result: dict[str, list[float]], repeat: int) -> str:
    fresh, noop = statistics.median(result["fresh"]), statistics.median(result["noop"])
    runs = ", ".join(f"{x:.1f}" for x in result["fresh"])
    reruns = ", ".join(f"{x:.2f}" for x in result["noop"])
    loads = ", ".join(f"{x:.2f}" for x in result["load"])
    ok = "met" if fresh <= 20 and noop <= 2 else "NOT met"
    return f"""{SECTION}

The three bundled studies (config.yaml), copied into a temporary project folder: a fresh full run
(every table and figure of every study, the reproduction checks, summaries, DOCX tables and the
manifest; not the HTML report) and a rerun with nothing to do. `--cores 2`, median of {repeat} runs.
{COMPILED}

Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}. Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC at commit {commit()}.

Reproduce:

```
python benchmarks/bench_workflow.py --repeat {repeat} --write-doc docs/benchmarks.md
```

| measurement | median (s) | runs (s) |
| :--- | ---: | :--- |
| fresh full run | {fresh:.1f} | {runs} |
| rerun, nothing to do | {noop:.2f} | {reruns} |

1-minute load average before each run: {loads}. Budget (fresh <= 20 s, rerun <= 2 s): {ok}.
"""


def write_doc(path: Path, text: str, heading: str = SECTION) -> None:
    """Replace the section under `heading` in the benchmarks document, or append it.

    Only the generated part is replaced: it ends at the next heading of any level, so hand-written
    `###` subsections under a section (what changed, where the time goes) are kept."""
    doc = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if heading in doc:
        start = doc.index(heading)
        nxt = min(
            (i for i in (doc.find(h, start + len(heading)) for h in ("\n## ", "\n### ")) if i != -1),
            default=-1,
        )
        rest = doc[nxt + 1 :] if nxt != -1 else ""
        doc = doc[:start] + text.rstrip("\n") + "\n" + ("\n" + rest if rest else "")
    else:
        doc = doc.rstrip("\n") + "\n\n" + text
    path.write_text(doc, encoding="utf-8")


def publish(text: str, doc: Path | None, heading: str = SECTION) -> None:
    """Print a section, and write it into the benchmarks document when one is given."""
    print(text)
    if doc:
        write_doc(doc, text, heading)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write-doc", type=Path)
    args = parser.parse_args()
    result = measure(args.repeat)
    text = section(result, args.repeat)
    print(text)
    if args.write_doc:
        write_doc(args.write_doc, text)


if __name__ == "__main__":
    main()
