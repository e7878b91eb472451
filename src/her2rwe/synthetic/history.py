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
from her2rwe.records.longitudinal import PATIENT_COLUMNS as RECORD_PATIENT_COLUMNS
from her2rwe.records.longitudinal import TREATMENT_COLUMNS

DAY = pd.Timedelta(days=1)
TKI_PARTNER = "capecitabine"
ADC_TKIS = ("pyrotinib", "lapatinib")
ADC_FILLERS = (["trastuzumab", "vinorelbine"], ["trastuzumab", "gemcitabine"])
ADC_INDEX = {
    "T-DXd": ["T-DXd"],
    "other ADC": ["disitamab vedotin"],
    "HP+C": ["trastuzumab", "pertuzumab"],
}
HPC_CHEMO = ("vinorelbine", "nab-paclitaxel")
MIDDLE_CHEMO = ("vinorelbine", "gemcitabine", "eribulin")
NEXT_LINE = "eribulin"
PATIENT_COLUMNS = ["age", "ecog", "hr_status", "visceral_mets", "brain_mets"]


def _frames(treatments: list[tuple], patients: list[tuple]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The treatments (sorted by patient, start and drug) and patients frames of the records."""
    t = pd.DataFrame(treatments, columns=[c for c in TREATMENT_COLUMNS if c != "line"])
    t = t.sort_values(["patient_id", "start_date", "drug"], kind="stable")
    return t, pd.DataFrame(patients, columns=[*RECORD_PATIENT_COLUMNS, *PATIENT_COLUMNS])


def _gap(rng: np.random.Generator) -> pd.Timedelta:
    return int(rng.integers(10, 28)) * DAY


Line = tuple[list[str], pd.Timestamp, pd.Timestamp]


def _tki_prior(r, rng: np.random.Generator) -> list[Line]:
    """tki_after_tdm1's lines before the index line, latest first (module docstring)."""
    lines: list[Line] = []
    end = r.index_date - _gap(rng)
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
    return lines


def _tki_index(r, rng: np.random.Generator) -> list[tuple]:
    """The TKI with capecitabine to the discontinuation (no end date while ongoing)."""
    stopped = pd.notna(r.discontinuation_date)
    end = r.discontinuation_date if stopped else pd.NaT
    return [(d, end, r.discontinuation_reason if stopped else "") for d in (r.regimen, TKI_PARTNER)]


def _adc_prior(r, rng: np.random.Generator) -> list[Line]:
    """adc_vs_hpc's ``prior_lines`` lines before the index line, latest first: the TKI line just
    before it (pyrotinib or lapatinib with capecitabine), T-DM1 before that when ``prior_tdm1`` is
    yes, trastuzumab with vinorelbine or gemcitabine, and a first line of trastuzumab (+
    pertuzumab when ``prior_pertuzumab`` is yes) + docetaxel; 90-299 days each, 10-27 apart."""
    first = ["trastuzumab", "pertuzumab", "docetaxel"]
    if r.prior_pertuzumab != "yes":
        first.remove("pertuzumab")
    later = [ADC_FILLERS[k % 2] for k in range(3)]
    later += [["T-DM1"]] if r.prior_tdm1 == "yes" else []
    later += [[ADC_TKIS[int(rng.integers(len(ADC_TKIS)))], TKI_PARTNER]]
    regimens = [first] + later[len(later) - (int(r.prior_lines) - 1) :]
    lines: list[Line] = []
    end = r.index_date - _gap(rng)
    for drugs in regimens[::-1]:
        start = end - int(rng.integers(90, 300)) * DAY
        lines.append((drugs, start, end))
        end = start - _gap(rng)
    return lines


def _adc_index(r, rng: np.random.Generator) -> list[tuple]:
    """T-DXd, disitamab vedotin (other ADC) or trastuzumab + pertuzumab + vinorelbine or
    nab-paclitaxel (HP+C), to the discontinuation (no reason when it stopped at death), else to
    death or, ongoing, the last contact."""
    drugs = ADC_INDEX[r.regimen]
    if r.regimen == "HP+C":
        drugs = [*drugs, HPC_CHEMO[int(rng.integers(len(HPC_CHEMO)))]]
    return [(d, *_index_end(r)) for d in drugs]


def _index_end(r) -> tuple[pd.Timestamp, str]:
    """The index line's end and recorded reason: the cohort's discontinuation (no reason when it
    stopped at death), else death or, ongoing, the last contact (no reason)."""
    if pd.notna(r.discontinuation_date):
        return r.discontinuation_date, (
            "" if r.discontinuation_reason == "death" else r.discontinuation_reason
        )
    return (r.death_date if pd.notna(r.death_date) else r.last_contact_date), ""


def _records_from_cohort(
    cohort: pd.DataFrame, assessments: pd.DataFrame, seed: int, prior, index_line
) -> dict[str, pd.DataFrame]:
    """Patients, treatments and assessments from a calibrated cohort and its assessments: the
    lines ``prior(r, rng)`` gives (latest first) as metastatic lines stopped for progression, the
    index line's rows ``index_line(r, rng)`` (drug, end, reason) from the index date, the next
    line, the patients and the assessments (module docstring)."""
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
        lines = prior(r, rng)
        metastatic = lines[-1][1] - int(rng.integers(7, 40)) * DAY
        for drugs, s, e in lines[::-1]:
            treatments += [(pid, d, s, e, "metastatic", "progression") for d in drugs]
        for drug, end, reason in index_line(r, rng):
            treatments.append((pid, drug, idx, end, "metastatic", reason))
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
    t, p = _frames(treatments, patients)
    more = pd.DataFrame(extra, columns=["patient_id", "date", "response", "sum_diameters"])
    full = pd.concat(
        [a.drop(index=drop), more.astype({"date": "datetime64[ns]"})], ignore_index=True
    )
    full = full.sort_values(["patient_id", "date"], kind="stable")
    return {
        "patients": p.reset_index(drop=True),
        "treatments": t.reset_index(drop=True),
        "assessments": full.reset_index(drop=True),
    }


def tki_after_tdm1_records(
    cohort: pd.DataFrame, assessments: pd.DataFrame, seed: int
) -> dict[str, pd.DataFrame]:
    """Patients, treatments and assessments of the tki_after_tdm1 cohort (the module docstring
    states every rule). ``cohort`` and ``assessments`` as read from their CSV files."""
    return _records_from_cohort(cohort, assessments, seed, _tki_prior, _tki_index)


def adc_vs_hpc_records(
    cohort: pd.DataFrame, assessments: pd.DataFrame, seed: int
) -> dict[str, pd.DataFrame]:
    """Patients, treatments and assessments of the adc_vs_hpc cohort: as tki_after_tdm1's, with
    :func:`_adc_prior` and :func:`_adc_index` (README_NOTES)."""
    return _records_from_cohort(cohort, assessments, seed, _adc_prior, _adc_index)


# post_tdxd_ensemble: the index line's regimens by next-therapy class, the lines before T-DXd
ENSEMBLE_INDEX = {
    "anti-HER2 antibody": (
        ["trastuzumab", "vinorelbine"],
        ["trastuzumab", "pertuzumab", "eribulin"],
        ["trastuzumab", "capecitabine"],
    ),
    "anti-HER2 TKI": (["lapatinib", "capecitabine"], ["tucatinib", "trastuzumab", "capecitabine"]),
    "other anti-HER2": (["T-DM1"],),
    "other": (["eribulin"], ["vinorelbine"], ["capecitabine"]),
}
ENSEMBLE_NEXT = "gemcitabine"
ENSEMBLE_FILLERS = (["trastuzumab", "vinorelbine"], ["trastuzumab", "eribulin"])
# sums of target-lesion diameters: % change from baseline by time-point response
SHIFT = {"CR": (-100.0, -100.0), "PR": (-85.0, -30.0), "SD": (-25.0, 15.0), "PD": (20.0, 60.0)}
VISIT_DAYS = 42


def _ensemble_visits(best: str, prog: float, last: float) -> list[tuple[int, str]]:
    """(day, response) of one patient's assessments after the index date: visits every 6 weeks
    of the cohort's best response before progression (CR: PR first), PD on the progression day;
    without progression, the visits run to the last assessment day (one on that day), of SD when
    the cohort's best response is PD or NE (an assessed PD would be a progression)."""
    if not np.isnan(prog):
        p = int(prog)
        if best not in ("CR", "PR", "SD"):
            return [(p, "PD")]
        days = list(range(VISIT_DAYS, p, VISIT_DAYS)) or [max(1, p // 2)]
        out = [(d, best) for d in days]
        if best == "CR" and len(out) > 1:
            out[0] = (out[0][0], "PR")
        return out + [(p, "PD")]
    stop = int(last)
    if stop < 1:
        return []
    code = best if best in ("CR", "PR", "SD") else "SD"
    days = [d for d in range(VISIT_DAYS, stop, VISIT_DAYS)] + [stop]
    out = [(d, code) for d in days]
    if code == "CR" and len(out) > 1:
        out[0] = (out[0][0], "PR")
    return out


def post_tdxd_ensemble_records(cohort: pd.DataFrame, seed: int) -> dict[str, pd.DataFrame]:
    """Patients, treatments, assessments and adverse events of the post_tdxd_ensemble cohort
    (README_NOTES states every rule). ``cohort`` as read from its CSV file."""
    rng = np.random.default_rng(seed)
    c = cohort.copy()
    for col in [*DATE_COLUMNS, "tdxd_start_date", "tdxd_end_date", "ild_recurrence_date"]:
        c[col] = pd.to_datetime(c[col])
    treatments: list[tuple] = []
    patients: list[tuple] = []
    assessments: list[tuple] = []
    events: list[tuple] = []
    for r in c.itertuples(index=False):
        pid, idx = r.patient_id, r.index_date
        # the lines before T-DXd: a first line of trastuzumab (+ pertuzumab) + docetaxel, then
        # fillers, a lapatinib line (prior_tki) and T-DM1 (prior_tdm1), the last prior_lines - 1
        first = ["trastuzumab", "pertuzumab", "docetaxel"]
        if r.prior_pertuzumab != "yes":
            first.remove("pertuzumab")
        later = [ENSEMBLE_FILLERS[k % 2] for k in range(4)]
        later += [["lapatinib", "capecitabine"]] if r.prior_tki == "yes" else []
        later += [["T-DM1"]] if r.prior_tdm1 == "yes" else []
        regimens = [first] + later[len(later) - (int(r.prior_lines) - 1) :]
        end = r.tdxd_start_date - _gap(rng)
        prior: list[tuple[list[str], pd.Timestamp, pd.Timestamp]] = []
        for drugs in regimens[::-1]:
            start = end - int(rng.integers(90, 300)) * DAY
            prior.append((drugs, start, end))
            end = start - _gap(rng)
        metastatic = prior[-1][1] - int(rng.integers(7, 40)) * DAY
        for drugs, s, e in prior[::-1]:
            treatments += [(pid, d, s, e, "metastatic", "progression") for d in drugs]
        treatments.append(
            (
                pid,
                "T-DXd",
                r.tdxd_start_date,
                r.tdxd_end_date,
                "metastatic",
                r.tdxd_discontinuation_reason,
            )
        )
        # the index line: to the cohort's discontinuation (reason recorded unless it was death),
        # else to death or, ongoing, to the last contact (no reason)
        options = ENSEMBLE_INDEX[r.next_therapy_class]
        drugs = options[int(rng.integers(len(options)))]
        end, why = _index_end(r)
        treatments += [(pid, d, idx, end, "metastatic", why) for d in drugs]
        if pd.notna(r.next_treatment_date):
            treatments.append(
                (pid, ENSEMBLE_NEXT, r.next_treatment_date, r.last_contact_date, "metastatic", "")
            )
        patients.append(
            (pid, metastatic, r.death_date, r.last_contact_date)
            + tuple(getattr(r, col) for col in PATIENT_COLUMNS)
        )
        base = float(rng.integers(25, 121))
        assessments.append((pid, idx - int(rng.integers(1, 22)) * DAY, "", base))
        prog = (r.progression_date - idx).days if pd.notna(r.progression_date) else np.nan
        last = (r.last_assessment_date - idx).days
        for day, resp in _ensemble_visits(r.best_response, prog, last):
            lo, hi = SHIFT[resp]
            pct = lo if lo == hi else float(rng.uniform(lo, hi))
            assessments.append((pid, idx + day * DAY, resp, round(base * (1 + pct / 100), 0)))
        if r.ild_recurrence == "yes":
            grade = int(rng.integers(1, 4))
            events.append(
                (pid, "Interstitial lung disease", grade, "respiratory", r.ild_recurrence_date)
            )
    t, p = _frames(treatments, patients)
    a = pd.DataFrame(assessments, columns=["patient_id", "date", "response", "sum_diameters"])
    ae = pd.DataFrame(events, columns=["patient_id", "term", "grade", "category", "onset_date"])
    return {
        "patients": p.reset_index(drop=True),
        "treatments": t.reset_index(drop=True),
        "assessments": a,
        "adverse_events": ae,
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
BUNDLED_RECORDS = {
    "adc_vs_hpc": {"seed": 20220101},
    "tki_after_tdm1": {"seed": 20230101},
    "post_tdxd_ensemble": {"seed": 20250102},
}

README_NOTES = {
    "adc_vs_hpc": """
`records/` (synthetic, input contract v2) is what the bundled run reads, generated by
`her2rwe.synthetic.history` from `cohort.csv` and `assessments.csv` above (the calibrated
intermediate): `treatments.csv` holds per patient `prior_lines` lines before the index line (a
first line of trastuzumab, pertuzumab when `prior_pertuzumab` is yes, and docetaxel; trastuzumab
with vinorelbine or gemcitabine; T-DM1 when `prior_tdm1` is yes and there is room; and, just before
the index line, pyrotinib or lapatinib with capecitabine; 90-299 days each, 10-27 days apart), the
index line (T-DXd, disitamab vedotin for the other ADCs, or trastuzumab + pertuzumab with
vinorelbine or nab-paclitaxel) to the cohort's discontinuation date and reason (to the last
contact, ongoing, when it did not stop), and eribulin from the next-treatment date (moved to the
day after the index line's progression and last assessment when it came first) to the last
contact; `patients.csv` the metastatic diagnosis 7-39 days before the first line, death, last
contact and the baseline covariates; `assessments.csv` the assessments above plus one repeating the
last response on the cohort's last assessment date where the visits stopped short of it (a
censored PFS keeps its time); `adverse_events.csv` is the file above. The calibrated cohort's best
responses agree with how PFS ends (PD only with a progression, NE only with a progression the
index line's stop for progression dates, a death without progression or no assessment after the
index date), so the assessments give back every best response and the CBR. The pipeline numbers
the lines, selects each patient's first line after an anti-HER2 TKI line as the index line, with
the arm from its regimen (an anti-HER2 ADC: ADC; trastuzumab + pertuzumab: HP+C; config.yaml,
`index`), and derives the endpoints, the response and the covariates again.
""",
    "tki_after_tdm1": """
`records/` (synthetic, input contract v2) is what the bundled run reads: `patients.csv`,
`treatments.csv` (a treatment history with the lines before the index line), `assessments.csv` and
`adverse_events.csv`, generated by `her2rwe.synthetic.history` from `cohort.csv` and
`assessments.csv` above. The pipeline numbers the lines of therapy, selects each patient's first
anti-HER2 TKI line after a T-DM1 line as the index line (config.yaml, `index`), and derives the
endpoints, the response and the covariates again; `cohort.csv` is the calibrated intermediate the
history is built from. Every patient has at least two prior lines (a trastuzumab line and T-DM1;
three after a prior TKI), so `prior_lines` can exceed the cohort's.
""",
    "post_tdxd_ensemble": """
`records/` (synthetic, input contract v2) is what the bundled run reads, generated by
`her2rwe.synthetic.history` from `cohort.csv` above (the calibrated intermediate):

- `treatments.csv`: per patient `prior_lines` lines before T-DXd (a first line of trastuzumab,
  pertuzumab when `prior_pertuzumab` is yes, and docetaxel; then trastuzumab with vinorelbine or
  eribulin, a lapatinib + capecitabine line when `prior_tki` is yes and a T-DM1 line when
  `prior_tdm1` is yes, as many as fit; 90-299 days each, 10-27 days apart); the T-DXd course on
  `tdxd_start_date`-`tdxd_end_date` with `tdxd_discontinuation_reason`; the index line on the
  index date, a regimen of `next_therapy_class` (antibody: trastuzumab with vinorelbine,
  pertuzumab + eribulin, or capecitabine; TKI: lapatinib + capecitabine or tucatinib +
  trastuzumab + capecitabine; other anti-HER2: T-DM1; other: eribulin, vinorelbine or
  capecitabine) to the cohort's discontinuation date and reason (no reason when it stopped at
  death; to the last contact and ongoing when it did not stop); gemcitabine from the next-treatment
  date to the last contact;
- `patients.csv`: the metastatic diagnosis 7-39 days before the first line, death, last contact and
  the baseline covariates from the cohort;
- `assessments.csv`: a baseline 1-21 days before the index date, then a time-point response every 6
  weeks of the cohort's best response (a CR patient: PR first) up to the day before progression
  and PD on the progression date, or, without progression, up to a last one on the cohort's last
  assessment date, with sums of target-lesion diameters; a patient the cohort records as PD or NE
  gets a single PD on the progression date, or SD visits without progression (an assessed PD would
  be a progression), so the derived best response can be PD instead of NE and SD or NE instead of
  PD: the responders (CR, PR) are the cohort's;
- `adverse_events.csv`: the 21 ILD recurrences on `ild_recurrence_date` (grades 1-3 drawn at
  random; the paper gives none).

The pipeline numbers the lines, selects each patient's line right after the T-DXd line as the
index line (config.yaml, `index`), and derives every endpoint again: PFS counts a progression
after the next line started (`index.stop_at_next_line: false`), as the cohort does; T-DXd duration
and reason come from the T-DXd line (`tdxd_*` columns), the next-therapy classes from the index
line's regimen (`index_therapy_class`), ILD recurrence from the adverse events. `prior_lines`
counts T-DXd: it is the cohort's plus one.
""",
}


def bundled_records(study: str, cohort_csv: str, assessments_csv: str | None) -> dict[str, str]:
    """The records/*.csv texts of a bundled study (file name -> text), from its cohort.csv text and
    (tki_after_tdm1) its assessments.csv text; tki_after_tdm1's adverse_events.csv is copied by the
    caller."""

    def read(text: str) -> pd.DataFrame:
        return pd.read_csv(
            io.StringIO(text), comment="#", dtype=str, keep_default_na=False
        ).replace("", None)

    seed = BUNDLED_RECORDS[study]["seed"]
    if study == "post_tdxd_ensemble":
        frames = post_tdxd_ensemble_records(read(cohort_csv), seed)
    else:
        assessments = read(assessments_csv)
        assessments["sum_diameters"] = pd.to_numeric(assessments["sum_diameters"])
        assessments["response"] = assessments["response"].fillna("")
        make = adc_vs_hpc_records if study == "adc_vs_hpc" else tki_after_tdm1_records
        frames = make(read(cohort_csv), assessments, seed)
    source = f"{study} records generated by `her2rwe.synthetic.history` (seed {seed})"
    return {f"{name}.csv": render(frame, source) for name, frame in frames.items()}
