"""Synthetic longitudinal records (input contract v2) for a bundled study, built from its calibrated
synthetic cohort so that the records pipeline (lines of therapy, index-line selection, endpoints
from dates and assessments) derives the cohort's index line, endpoints and response again.

The data are synthetic: no row describes a real patient. What each patient gets (tki_after_tdm1:
a TKI line after T-DM1 resistance, shared/seeds/001):

- a first metastatic line of trastuzumab + docetaxel (with pertuzumab when ``prior_pertuzumab`` is
  yes), 45-84 days long for primary trastuzumab resistance (at most the 3-month rule) and 200-419
  days for acquired resistance;
- middle lines up to the cohort's ``prior_lines`` (lapatinib + capecitabine when ``prior_tki`` is
  yes, else single-agent chemotherapy), so every patient has at least two prior lines (the
  trastuzumab line and T-DM1), three after a prior TKI;
- T-DM1 as the line just before the index line: 200-329 days for prior T-DM1 benefit (at least the
  6-month rule), 60-149 days without; 10-27 days between consecutive lines;
- the index line: the cohort's TKI with capecitabine from the index date to the cohort's
  discontinuation date and reason (ongoing when the cohort has none);
- the next line (eribulin) on the cohort's next-treatment date, moved to the day after the index
  line's progression and last assessment when it came first, so that the progression-free
  window (index date to the next line) holds them, as in the cohort; it runs to the last contact;
- the metastatic diagnosis 7-39 days before the first line; death, last contact and the baseline
  covariates from the cohort;
- the cohort's assessments, plus one assessment repeating the last response on the cohort's last
  assessment date where the serial visits stopped short of it (censored PFS keeps its time); a PD
  assessment of a patient whom the cohort records without progression is left out (it would be a
  progression; the patient's best response becomes NE, which counts as PD does in ORR, CBR and
  DCR).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from her2rwe.records.contract import DATE_COLUMNS

DAY = pd.Timedelta(days=1)
TKI_PARTNER = "capecitabine"
MIDDLE_CHEMO = ("vinorelbine", "gemcitabine", "eribulin")
NEXT_LINE = "eribulin"
PATIENT_COLUMNS = ["age", "ecog", "hr_status", "visceral_mets", "brain_mets"]


def _gap(rng: np.random.Generator) -> pd.Timedelta:
    return int(rng.integers(10, 28)) * DAY


def tki_after_tdm1_records(
    cohort: pd.DataFrame, assessments: pd.DataFrame, seed: int
) -> dict[str, pd.DataFrame]:
    """Patients, treatments and assessments of the tki_after_tdm1 cohort (the module docstring
    states every rule). ``cohort`` and ``assessments`` as read from their CSV files."""
    rng = np.random.default_rng(seed)
    c = cohort.copy()
    for col in DATE_COLUMNS:
        c[col] = pd.to_datetime(c[col])
    a = assessments.assign(date=pd.to_datetime(assessments["date"]))
    treatments: list[tuple] = []
    patients: list[tuple] = []
    extra: list[tuple] = []
    drop: list[int] = []
    for r in c.itertuples(index=False):
        pid, idx = r.patient_id, r.index_date
        lines: list[tuple[list[str], pd.Timestamp, pd.Timestamp]] = []
        end = idx - _gap(rng)
        days = rng.integers(200, 330) if r.prior_tdm1_benefit == "yes" else rng.integers(60, 150)
        start = end - int(days) * DAY
        lines.append((["T-DM1"], start, end))
        middle = max(int(r.prior_lines), 2) - 2
        regimens = [["lapatinib", TKI_PARTNER]] if r.prior_tki == "yes" else []
        regimens += [[MIDDLE_CHEMO[k % len(MIDDLE_CHEMO)]] for k in range(middle - len(regimens))]
        for drugs in regimens[::-1]:
            end = start - _gap(rng)
            start = end - int(rng.integers(90, 240)) * DAY
            lines.append((drugs, start, end))
        first = ["trastuzumab", "docetaxel"]
        if r.prior_pertuzumab == "yes":
            first.insert(1, "pertuzumab")
        primary = r.trastuzumab_resistance == "primary"
        end = start - _gap(rng)
        start = end - int(rng.integers(45, 85) if primary else rng.integers(200, 420)) * DAY
        lines.append((first, start, end))
        metastatic = start - int(rng.integers(7, 40)) * DAY
        for drugs, s, e in lines[::-1]:
            treatments += [(pid, d, s, e, "metastatic", "progression") for d in drugs]
        stopped = pd.notna(r.discontinuation_date)
        for drug in (r.regimen, TKI_PARTNER):
            treatments.append(
                (
                    pid,
                    drug,
                    idx,
                    r.discontinuation_date if stopped else pd.NaT,
                    "metastatic",
                    r.discontinuation_reason if stopped else "",
                )
            )
        if pd.notna(r.next_treatment_date):
            held = [
                d
                for d in (r.progression_date, r.last_assessment_date, r.discontinuation_date)
                if pd.notna(d)
            ]
            nxt = max(r.next_treatment_date, max(held) + DAY) if held else r.next_treatment_date
            treatments.append((pid, NEXT_LINE, nxt, r.last_contact_date, "metastatic", ""))
        patients.append(
            (pid, metastatic, r.death_date, r.last_contact_date)
            + tuple(getattr(r, col) for col in PATIENT_COLUMNS)
        )
        after = a[(a["patient_id"] == pid) & (a["date"] > idx)]
        if pd.isna(r.progression_date) and (after["response"] == "PD").any():
            # the cohort records no progression: an assessed PD would be one
            drop.extend(after.index[after["response"] == "PD"])
            after = after[after["response"] != "PD"]
        if (
            len(after)
            and pd.isna(r.progression_date)
            and after["date"].max() < r.last_assessment_date
            and after["response"].iloc[-1] in ("CR", "PR", "SD")
        ):
            extra.append((pid, r.last_assessment_date, after["response"].iloc[-1], np.nan))
    t = pd.DataFrame(
        treatments,
        columns=["patient_id", "drug", "start_date", "end_date", "setting", "discontinuation_reason"],
    ).sort_values(["patient_id", "start_date", "drug"], kind="stable")
    p = pd.DataFrame(
        patients,
        columns=["patient_id", "metastatic_date", "death_date", "last_contact_date", *PATIENT_COLUMNS],
    )
    more = pd.DataFrame(extra, columns=["patient_id", "date", "response", "sum_diameters"])
    full = pd.concat([a.drop(index=drop), more.astype({"date": "datetime64[ns]"})], ignore_index=True)
    full = full.sort_values(["patient_id", "date"], kind="stable")
    return {
        "patients": p.reset_index(drop=True),
        "treatments": t.reset_index(drop=True),
        "assessments": full.reset_index(drop=True),
    }


def render(frame: pd.DataFrame, header: str) -> str:
    """CSV text with a synthetic-data comment line; dates as YYYY-MM-DD, empty when missing."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    if "sum_diameters" in out.columns:
        out["sum_diameters"] = out["sum_diameters"].map(lambda v: "" if pd.isna(v) else f"{v:g}")
    buf = io.StringIO()
    buf.write(f"# SYNTHETIC DATA: {header}; no row describes a real patient.\n")
    out.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


# the bundled studies whose run starts from records: numpy seed of the history
BUNDLED_RECORDS = {"tki_after_tdm1": {"seed": 20230101}}

README_NOTE = """
`records/` (synthetic, input contract v2) is what the bundled run reads: `patients.csv`,
`treatments.csv` (a treatment history with the lines before the index line), `assessments.csv` and
`adverse_events.csv`, generated by `her2rwe.synthetic.history` from `cohort.csv` and
`assessments.csv` above. The pipeline numbers the lines of therapy, selects each patient's first
anti-HER2 TKI line after a T-DM1 line as the index line (config.yaml, `index`), and derives the
endpoints, the response and the covariates again; `cohort.csv` is the calibrated intermediate the
history is built from. Every patient has at least two prior lines (a trastuzumab line and T-DM1;
three after a prior TKI), so `prior_lines` can exceed the cohort's.
"""


def bundled_records(study: str, cohort_csv: str, assessments_csv: str) -> dict[str, str]:
    """The records/*.csv texts of a bundled study (file name -> text), from its cohort.csv and
    assessments.csv texts; adverse_events.csv is copied by the caller."""

    def read(text: str) -> pd.DataFrame:
        return pd.read_csv(
            io.StringIO(text), comment="#", dtype=str, keep_default_na=False
        ).replace("", None)

    seed = BUNDLED_RECORDS[study]["seed"]
    assessments = read(assessments_csv)
    assessments["sum_diameters"] = pd.to_numeric(assessments["sum_diameters"])
    assessments["response"] = assessments["response"].fillna("")
    frames = tki_after_tdm1_records(read(cohort_csv), assessments, seed)
    source = f"{study} records generated by `her2rwe.synthetic.history` (seed {seed})"
    return {f"{name}.csv": render(frame, source) for name, frame in frames.items()}
