"""Time drawing and saving (PDF + 300-dpi PNG) of every figure of the figure-test fixture studies.

    PYTHONPATH=src python benchmarks/bench_figures.py [--png-level N]

Prints seconds per figure (draw, pdf, png) and the total, after the imports, and the CPU seconds of
the whole run. `--png-level` writes the PNGs at another zlib level than the package's
(style.PNG_OPTIONS), e.g. 6 (Pillow's default) to compare.
"""

import argparse
import tempfile
import time
from pathlib import Path

import yaml

from her2rwe.config import validate_config
from her2rwe.outputs.plotting import figures, style

FIX = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "figures"

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--png-level", type=int, help="zlib level of the PNGs (default: the package's)")
if (level := parser.parse_args().png_level) is not None:
    style.PNG_OPTIONS = {"compress_level": level}
t_import = time.perf_counter()
config = validate_config(yaml.safe_load((FIX / "config.yaml").read_text()))
total = {"draw": 0.0, "pdf": 0.0, "png": 0.0}
count = 0
with tempfile.TemporaryDirectory() as out:
    for name, study in config["studies"].items():
        tables = figures.read_tables({k: FIX / name / p for k, p in figures.TABLES.items()})
        drawn = figures.draw_study_figures(tables, study)
        while True:
            t0 = time.perf_counter()
            try:
                fig_name, fig = next(drawn)
            except StopIteration:
                break
            t1 = time.perf_counter()
            style.save(fig, Path(out) / f"{name}_{fig_name}.pdf")
            t2 = time.perf_counter()
            style.save(fig, None, Path(out) / f"{name}_{fig_name}.png")
            t3 = time.perf_counter()
            total["draw"] += t1 - t0
            total["pdf"] += t2 - t1
            total["png"] += t3 - t2
            count += 1
            print(f"{name:11s} {fig_name:28s} draw {t1 - t0:.2f}  pdf {t2 - t1:.2f}  png {t3 - t2:.2f}")
elapsed = time.perf_counter() - t_import
print(f"{count} figures in {elapsed:.1f} s: " + ", ".join(f"{k} {v:.1f} s" for k, v in total.items()))
print(f"PNG options {style.PNG_OPTIONS}; CPU {time.process_time():.1f} s (imports included)")
