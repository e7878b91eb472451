"""Synthetic serial tumour assessments for a bundled v1 cohort (DESIGN.md, input contract v2).

Each patient gets a baseline assessment (no response, a sum of target-lesion diameters) 1-21 days
before the index date and assessments every 6 weeks, built so that the pipeline's derivation with
the default rules (no confirmation, SD from 6 weeks) gives back the cohort's typed ``best_response``
and the same side of the CBR threshold for ``sd_weeks``; :func:`assessments_for` checks this and
raises otherwise. The data are synthetic: no row describes a real patient.

- CR/PR: the response at every visit before progression (a CR patient: PR first, then CR); PD on
  the progression date, or on the next line's start when that comes first.
- SD: SD every 6 weeks up to the last SD day, ``sd_weeks`` x 7 days rounded away from the CBR
  threshold; then PD as above.
- PD: PD at the first visit (the progression date, else the last assessment date).
- NE: no assessment after the index date (progression, if any, was clinical).
Sums of diameters: CR -100%; PR -30% to -85%; SD -25% to +15%; PD +20% to +60% from baseline.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from her2rwe.config import with_defaults
from her2rwe.derive.tumour_response import derive_best_response
from her2rwe.synthetic.history import render

VISIT_DAYS = 42


def _day(cohort: pd.DataFrame, column: str) -> pd.Series:
    if column not in cohort.columns:
        return pd.Series(np.nan, index=cohort.index)
    return (pd.to_datetime(cohort[column]) - pd.to_datetime(cohort["index_date"])).dt.days


def _sd_day(weeks: float, threshold: float) -> int:
    """The last SD day for typed sd_weeks, rounded away from the CBR threshold (at or above it:
    up; below it: down, which keeps 6 weeks or more at 42 days or more)."""
    days = weeks * 7
    return math.ceil(days) if weeks >= threshold else math.floor(days)


def _visits(code: str, row: pd.Series, cbr_weeks: float, stop: bool) -> list[tuple[int, str]]:
    """(day, response) of one patient's assessments after the index date."""
    prog, last, nxt = row["prog"], row["last"], row["next"]
    pd_day = None
    if not np.isnan(prog):
        pd_day = int(prog if np.isnan(nxt) or prog <= nxt or not stop else nxt)
    if code == "NE":
        return []
    if code == "PD":
        return [(max(pd_day if pd_day is not None else int(last), 1), "PD")]
    if code == "SD":
        sd_last = _sd_day(float(row["sd_weeks"]), cbr_weeks)
        if pd_day is not None:
            sd_last = min(sd_last, pd_day - 1)
        out = [(d, "SD") for d in range(VISIT_DAYS, sd_last, VISIT_DAYS)] + [(sd_last, "SD")]
    else:
        stop = pd_day - 1 if pd_day is not None else int(last)
        if pd_day is None and not np.isnan(nxt) and stop:
            stop = min(stop, int(nxt))
        out = [(d, code) for d in range(VISIT_DAYS, stop + 1, VISIT_DAYS)] or [(max(1, stop), code)]
        if code == "CR" and len(out) > 1:
            out[0] = (out[0][0], "PR")
    if pd_day is not None:
        out.append((pd_day, "PD"))
    return out


SHIFT = {
    "CR": (-100.0, -100.0),
    "PR": (-85.0, -30.0),
    "SD": (-25.0, 15.0),
    "PD": (20.0, 60.0),
}


def assessments_for(
    cohort: pd.DataFrame, seed: int, cbr_min_weeks: float, stop_at_next_line: bool
) -> pd.DataFrame:
    """Assessments (patient_id, date, response, sum_diameters) reproducing a cohort's typed best
    responses and CBR; raises AssertionError when the derivation would give anything else."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "prog": _day(cohort, "progression_date"),
            "last": _day(cohort, "last_assessment_date"),
            "next": _day(cohort, "next_treatment_date"),
            "sd_weeks": pd.to_numeric(cohort["sd_weeks"]),
        }
    )
    index = pd.to_datetime(cohort["index_date"])
    rows = []
    for i in range(len(cohort)):
        pid = str(cohort["patient_id"].iat[i])
        code = str(cohort["best_response"].iat[i])
        base_sum = float(rng.integers(25, 121))
        base_day = -int(rng.integers(1, 22))
        rows.append((pid, index.iat[i] + pd.Timedelta(days=base_day), "", base_sum))
        for day, resp in _visits(code, frame.iloc[i], cbr_min_weeks, stop_at_next_line):
            lo, hi = SHIFT[resp]
            pct = lo if lo == hi else float(rng.uniform(lo, hi))
            total = round(base_sum * (1 + pct / 100), 0)
            rows.append((pid, index.iat[i] + pd.Timedelta(days=day), resp, total))
    out = pd.DataFrame(rows, columns=["patient_id", "date", "response", "sum_diameters"])
    _check(cohort, out, cbr_min_weeks, stop_at_next_line)
    return out


def _check(
    cohort: pd.DataFrame, assessments: pd.DataFrame, cbr_min_weeks: float, stop_at_next_line: bool
) -> None:
    index = pd.DataFrame(
        {
            "patient_id": cohort["patient_id"].astype(str),
            "index_date": pd.to_datetime(cohort["index_date"]),
            "window_end": pd.to_datetime(cohort["next_treatment_date"]),
        }
    )
    rules = with_defaults({"response": {}}, "study")["response"]
    if not stop_at_next_line:
        index["window_end"] = pd.NaT
    got = derive_best_response(assessments, index, rules)
    typed = cohort["best_response"].astype(str).to_numpy()
    assert (got["best_response"].to_numpy() == typed).all(), "best response not reproduced"
    sd = typed == "SD"
    typed_cbr = pd.to_numeric(cohort["sd_weeks"]).to_numpy()[sd] >= cbr_min_weeks
    got_cbr = got["sd_weeks"].to_numpy()[sd] >= cbr_min_weeks
    assert (typed_cbr == got_cbr).all(), "CBR not reproduced"
    for column in ("death_date", "last_contact_date"):
        limit = pd.to_datetime(
            assessments["patient_id"].map(
                dict(zip(cohort["patient_id"].astype(str), cohort[column], strict=True))
            )
        )
        assert not (assessments["date"] > limit).any(), f"an assessment after {column}"


def render_assessments(assessments: pd.DataFrame, study: str, seed: int) -> str:
    """The CSV text, with the synthetic-data header line."""
    source = f"tumour assessments of {study}, generated by `her2rwe.synthetic.assessments` (seed {seed})"
    return render(assessments, source)


# the paragraph added to the README of a bundled study with assessments
README_NOTE = """
`assessments.csv` (synthetic, input contract v2): a baseline assessment and serial RECIST 1.1
time-point responses every 6 weeks per patient, with sums of target-lesion diameters, generated by
`her2rwe.synthetic.assessments` from `cohort.csv` so that the pipeline's derivation (no
confirmation, SD from 6 weeks, `stop_at_next_line: false`) gives back every patient's
`best_response` and the same side of the 24-week CBR threshold for `sd_weeks`: the ORR and CBR
above are reproduced from the assessments. Patients with best response NE have no assessment after
the index date.
"""


# the bundled studies that ship assessments: numpy seed, the study's cbr_min_weeks and
# stop_at_next_line (config.yaml; a test checks they agree)
BUNDLED = {
    "adc_vs_hpc": {"seed": 20220014, "cbr_min_weeks": 24, "stop_at_next_line": False},
    "tki_after_tdm1": {"seed": 20230014, "cbr_min_weeks": 24, "stop_at_next_line": False},
}


def bundled_assessments(study: str, cohort_csv: str) -> str:
    """The assessments.csv text of a bundled study, from its cohort.csv text."""
    import io

    cohort = pd.read_csv(
        io.StringIO(cohort_csv), comment="#", dtype=str, keep_default_na=False
    ).replace("", None)
    spec = BUNDLED[study]
    frame = assessments_for(cohort, spec["seed"], spec["cbr_min_weeks"], spec["stop_at_next_line"])
    return render_assessments(frame, study, spec["seed"])
