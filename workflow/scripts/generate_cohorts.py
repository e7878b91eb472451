"""Write the bundled synthetic cohorts (cohort.csv, adverse_events.csv where the paper reports AEs,
README.md, assessments.csv for the studies in her2rwe.synthetic.assessments.BUNDLED, and records/
for those in her2rwe.synthetic.history.BUNDLED_RECORDS) under a data folder, one subfolder per study.

    python workflow/scripts/generate_cohorts.py data/raw

The cohorts are committed; a test regenerates them and checks the bytes are identical.
"""

import sys
from pathlib import Path

from her2rwe import io
from her2rwe.synthetic.assessments import BUNDLED, README_NOTE, bundled_assessments
from her2rwe.synthetic.cohorts import generate_all
from her2rwe.synthetic.history import BUNDLED_RECORDS, bundled_records
from her2rwe.synthetic.history import README_NOTES as RECORDS_NOTES


def write_cohorts(root: str | Path) -> list[Path]:
    written = []
    for name, study in generate_all().items():
        for filename, text in study.files().items():
            if filename == "README.md" and name in BUNDLED:
                text += README_NOTE
            if filename == "README.md" and name in BUNDLED_RECORDS:
                text += RECORDS_NOTES[name]
            path = Path(root) / name / filename
            io.write_text(text, path)
            written.append(path)
        assessments = None
        if name in BUNDLED:  # serial tumour assessments, derived from the cohort
            path = Path(root) / name / "assessments.csv"
            assessments = bundled_assessments(name, study.files()["cohort.csv"])
            io.write_text(assessments, path)
            written.append(path)
        if name in BUNDLED_RECORDS:  # longitudinal records built from the cohort (the run's input)
            texts = bundled_records(name, study.files()["cohort.csv"], assessments)
            texts.setdefault("adverse_events.csv", study.files().get("adverse_events.csv"))
            for filename, text in texts.items():
                path = Path(root) / name / "records" / filename
                io.write_text(text, path)
                written.append(path)
    return written


if __name__ == "__main__":
    for path in write_cohorts(sys.argv[1] if len(sys.argv) > 1 else "data/raw"):
        print(path)
