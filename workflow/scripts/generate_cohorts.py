"""Write the bundled synthetic cohorts (cohort.csv, adverse_events.csv where the paper reports AEs,
README.md, and assessments.csv for the studies in her2rwe.synthetic.assessments.BUNDLED) under a
data folder, one subfolder per study.

    python workflow/scripts/generate_cohorts.py data/raw

The cohorts are committed; a test regenerates them and checks the bytes are identical.
"""

import sys
from pathlib import Path

from her2rwe import io
from her2rwe.synthetic.assessments import BUNDLED, README_NOTE, bundled_assessments
from her2rwe.synthetic.cohorts import generate_all


def write_cohorts(root: str | Path) -> list[Path]:
    written = []
    for name, study in generate_all().items():
        for filename, text in study.files().items():
            if filename == "README.md" and name in BUNDLED:
                text += README_NOTE
            path = Path(root) / name / filename
            io.write_text(text, path)
            written.append(path)
        if name in BUNDLED:  # serial tumour assessments, derived from the cohort
            path = Path(root) / name / "assessments.csv"
            io.write_text(bundled_assessments(name, study.files()["cohort.csv"]), path)
            written.append(path)
    return written


if __name__ == "__main__":
    for path in write_cohorts(sys.argv[1] if len(sys.argv) > 1 else "data/raw"):
        print(path)
