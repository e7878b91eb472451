"""Small-cell audit across every shareable output of a study (issue 12).

A two-arm synthetic study (A 16, B 12 patients) whose counts are mostly between 1 and 10 runs through
the workflow with ``min_cell_count: 11``. For every cell that a shareable table masks, the audit
looks up the exact value in ``internal/`` and then tries to recover it from everything shareable:
every table under ``tables/`` (CSV), ``reproduction.csv``, and the strings the figures draw
(``figures/text/``). It keys each shown number by what it counts (an arm's size, an arm's responders
of a rate, an arm's patients with a best response, an arm's events of an endpoint, an arm's patients
with an adverse event), and derives more: percentages with a shown denominator, a figure's
percentage with the arm's ``n =``, the upper confidence limit of a 0 count (which gives its
denominator back), arms that add up to Overall, and a target beside its computed value. No masked
count may be recovered.
"""

from __future__ import annotations

import math
import re
import subprocess
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from her2rwe.outputs import shareable
from tests.workflow_helpers import ENV, command

K = 11
COUNT_COLUMNS = {"n", "n_arm", "n_reference", "x", "x_reference", "events", "censored", "n_total"}
ARMS = {"A": 16, "B": 12}
BOR = {"A": {"CR": 1, "PR": 4, "SD": 6, "PD": 3, "NE": 2}, "B": {"CR": 0, "PR": 2, "SD": 5, "PD": 4, "NE": 1}}  # fmt: skip


def _cohort(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for arm, n in ARMS.items():
        responses = [r for r, c in BOR[arm].items() for _ in range(c)]
        for i in range(n):
            start = pd.Timestamp("2030-01-01") + pd.Timedelta(days=int(rng.integers(0, 300)))
            pfs = int(rng.integers(30, 500))
            progressed = i % 3 != 0
            died = i % 4 == 0
            contact = pfs + int(rng.integers(0, 200))
            rows.append(
                {
                    "patient_id": f"S{arm}{i:02d}",
                    "arm": arm,
                    "regimen": f"{arm}-{1 + i % 2}",
                    "index_date": start.date(),
                    "progression_date": (start + pd.Timedelta(days=pfs)).date() if progressed else "",
                    "death_date": (start + pd.Timedelta(days=contact)).date() if died else "",
                    "last_assessment_date": (start + pd.Timedelta(days=pfs)).date(),
                    "last_contact_date": (start + pd.Timedelta(days=contact)).date(),
                    "best_response": responses[i],
                    "sd_weeks": 30 if responses[i] == "SD" and i % 2 else (10 if responses[i] == "SD" else ""),
                    "age": int(rng.integers(35, 80)),
                    "hr_status": "positive" if i % 3 else "negative",
                }
            )  # fmt: skip
    return pd.DataFrame(rows)


def _adverse_events(cohort: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for j, pid in enumerate(cohort["patient_id"]):
        if j % 2 == 0:
            rows.append({"patient_id": pid, "term": "Nausea", "grade": 1 + j % 3, "category": "gastrointestinal"})  # fmt: skip
        if j % 5 == 0:
            rows.append({"patient_id": pid, "term": "Neutropenia", "grade": 3, "category": "hematologic"})  # fmt: skip
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("smallcell")
    rng = np.random.default_rng(12)
    cohort = _cohort(rng)
    (root / "data").mkdir()
    (root / "data" / "cohort.csv").write_text(
        "# SYNTHETIC DATA for the small-cell audit test; no row describes a real patient.\n"
        + cohort.to_csv(index=False)
    )
    _adverse_events(cohort).to_csv(root / "data" / "adverse_events.csv", index=False)
    orr_b = BOR["B"]["CR"] + BOR["B"]["PR"]
    study = {
        "title": "Small-cell audit (synthetic)",
        "synthetic": True,
        "cohort": "data/cohort.csv",
        "adverse_events": "data/adverse_events.csv",
        "arms": {"column": "arm", "reference": "A"},
        "endpoints": ["pfs", "os"],
        "covariates": ["age", "hr_status"],
        "subgroups": [{"variable": "hr_status"}],
        "landmarks": [6, 12],
        "figures": {"cumulative_events": True, "subgroup_endpoints": ["pfs", "os"]},
        "targets": [
            {"metric": "orr_n.B", "value": orr_b, "description": f"ORR {orr_b} patients"},
            {"metric": "orr_pct.B", "value": round(100 * orr_b / 12, 1)},
            {"metric": "count.hr_status.negative", "value": 10},
            {"metric": "share.hr_status.negative", "value": round(100 * 10 / 28, 1)},
            # survival counts of either arm: printed only where survival.csv shows them
            *(
                {"metric": f"{c}.{ep}.{arm}", "value": 0}
                for c in ("n", "events")
                for ep in ("pfs", "os")
                for arm in ARMS
            ),
        ],
    }
    (root / "config.yaml").write_text(
        yaml.safe_dump({"min_cell_count": K, "studies": {"small": study}}, sort_keys=False)
    )
    done = subprocess.run(command(root), capture_output=True, text=True, timeout=1200, env=ENV)
    assert done.returncode == 0, done.stderr[-4000:]
    return root / "results" / "small"


# ------------------------------------------------------------------------------------------------
# what the shareable outputs show, keyed by what each number counts


def _num(value) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


class Facts:
    """Known values by key; every key may be shown by several outputs."""

    def __init__(self):
        self.values: dict[tuple, set[float]] = defaultdict(set)

    def add(self, key: tuple, value) -> None:
        v = _num(value)
        if v is not None:
            self.values[key].add(round(v, 9))

    def one(self, key: tuple) -> float | None:
        vals = self.values.get(key, set())
        return next(iter(vals)) if len(vals) == 1 else None


def keyed(tables: dict[str, pd.DataFrame], facts: Facts, shown_only: bool) -> None:
    """Add the counts of the tables to ``facts``; with ``shown_only`` masked cells are skipped."""

    def add(key, value):
        if shown_only and shareable.is_masked(value):
            return
        facts.add(key, value)

    r = tables["response"]
    for row in r.to_dict("records"):
        add(("N", row["arm"]), row["n"])
        add(("N", row["arm"]), row.get("n_total"))  # denominator "all": the arm's patients
        for rate in ("orr", "cbr", "dcr"):
            add((rate, row["arm"]), row[f"{rate}_n"])
    for row in tables["response_comparisons"].to_dict("records"):
        add(("N", row["arm"]), row["n"])
        add(("N", row["reference"]), row["n_reference"])
        add((row["rate"], row["arm"]), row["x"])
        add((row["rate"], row["reference"]), row["x_reference"])
    for row in tables["best_response"].to_dict("records"):
        add(("N", row["arm"]), row["n_arm"])
        add(("bor", row["response"], row["arm"]), row["n"])
    for row in tables["adverse_events"].to_dict("records"):
        add(("N", row["arm"]), row["n"])
        for c in shareable.AE_COUNTS:
            add((c, row["term"], row["arm"]), row[f"{c}_n"])
    for row in tables["adverse_events_by_category"].to_dict("records"):
        add(("N", row["arm"]), row["n"])
        for c in shareable.AE_COUNTS:
            add((c, "category", row["category"], row["arm"]), row[f"{c}_n"])
    for row in tables["survival"].to_dict("records"):
        if row["split"] in ("arm", "overall"):
            arm = row["group"] if row["split"] == "arm" else "Overall"
            key = (arm,)
        else:
            key = (row["split"], row["group"])
        add(("N", *key), row["n"])
        add(("events", row["endpoint"], *key), row["events"])
        # a note that states a zero ("no patients", "all patients censored") is a count
        note = str(row.get("note", ""))
        if shown_only and "no patients" in note:
            add(("N", *key), 0)
        if shown_only and "all patients censored" in note:
            add(("events", row["endpoint"], *key), 0)
    for row in tables["attrition"].to_dict("records"):
        if row["step"] == "rows read":
            add(("N", "Overall" if row["arm"] == "Total" else row["arm"]), row["n"])


INT = re.compile(r"^(<\d+|\d+)$")


def risk_rows(text: list[str], title: str, groups: set[str]) -> dict[str, list[str]]:
    """The rows of a figure's risk table (``title``: "Number at risk" or "Cumulative events") as
    drawn: group -> the strings under the ticks, in order."""
    start = next((i for i, ln in enumerate(text) if ln.startswith(title)), None)
    rows: dict[str, list[str]] = {}
    if start is None:
        return rows
    current = None
    for ln in text[start + 1 :]:
        if ln in groups:
            current = rows.setdefault(ln, [])
        elif current is not None and INT.match(ln):
            current.append(ln)
        else:
            break
    return rows


def interval(shown: str, coarsened: bool) -> tuple[float, float]:
    """What a reader knows of a shown number at risk: exact, ``<k`` = [1, k-1], or with the
    coarsening note a multiple of k rounded down = [v, v + k - 1]."""
    if shown.startswith("<"):
        return 1.0, float(K - 1)
    v = float(shown)
    return (v, v + K - 1) if coarsened and v > 0 else (v, v)


def at_risk_rows(out: Path) -> list[tuple[str, tuple, list[tuple[float, float]]]]:
    """Every shown row of numbers at risk or cumulative events, as intervals in time order: the
    figures' risk tables and landmarks.csv (after the group's n of survival.csv, the number at
    risk at time 0). Each with its source and the key of the group's n."""
    survival = _csv(out / "tables" / "survival.csv")
    n_of = {}
    for r in survival.to_dict("records"):
        key = (r["group"],) if r["split"] == "arm" else ("Overall",) if r["split"] == "overall" else (r["split"], r["group"])  # fmt: skip
        n_of[(r["endpoint"], r["split"], r["group"])] = (key, r["n"])
    rows = []
    groups = {g for _, _, g in n_of}
    for path in sorted((out / "figures" / "text").glob("km_*.txt")):
        text = path.read_text().splitlines()
        endpoint = path.stem.split("_")[1]
        split = "arm" if path.stem.count("_") == 1 else path.stem.split("_", 2)[2]
        for title in ("Number at risk", "Cumulative events"):
            head = next((ln for ln in text if ln.startswith(title)), "")
            coarsened = "rounded down" in head
            for g, values in risk_rows(text, title, groups).items():
                key, _ = n_of.get((endpoint, split, g), ((g,), ""))
                ivals = [interval(v, coarsened) for v in values]
                rows.append((f"{path.name}: {title}", (title, endpoint, key), ivals))
    marks = _csv(out / "tables" / "landmarks.csv")
    for (ep, split, g), sub in marks.groupby(["endpoint", "split", "group"], sort=False):
        key, n = n_of[(ep, split, g)]
        shown = list(sub.sort_values("time", key=lambda t: t.astype(float))["n_risk"])
        # coarsened numbers are all multiples of k; exact ones need not be
        coarsened = all(v.startswith("<") or int(v) % K == 0 for v in shown)
        ivals = [(0.0, math.inf) if n == "*" else interval(n, False)]
        ivals += [interval(v, coarsened) for v in shown]
        rows.append(("landmarks.csv", ("Number at risk", ep, key), ivals))
    return rows


def _tighten(ivals: list[tuple[float, float]], falling: bool) -> list[tuple[float, float]]:
    """Numbers at risk never rise and cumulative events never fall: intersect the intervals."""
    lo, hi = [a for a, _ in ivals], [b for _, b in ivals]
    for _ in range(2):
        for i in range(1, len(lo)):
            if falling:
                hi[i] = min(hi[i], hi[i - 1])
                lo[i - 1] = max(lo[i - 1], lo[i])
            else:
                lo[i] = max(lo[i], lo[i - 1])
                hi[i - 1] = min(hi[i - 1], hi[i])
    return list(zip(lo, hi, strict=True))


def at_risk_facts(out: Path, facts: Facts) -> list[str]:
    """Add what the rows of numbers at risk give away (the number at risk at time 0 is the group's
    n; the last cumulative count after the last tick is its events when nobody is left at risk),
    and return every exact difference of two shown numbers of a row that is a small count."""
    small = []
    for where, (title, endpoint, key), ivals in at_risk_rows(out):
        falling = title == "Number at risk"
        exact = [a if a == b else None for a, b in _tighten(ivals, falling)]
        if falling and exact and exact[0] is not None and "landmarks" not in where:
            facts.add(("N", *key), exact[0])
        for i in range(len(exact)):
            for j in range(i + 1, len(exact)):
                if (
                    exact[i] is not None
                    and exact[j] is not None
                    and 1 <= abs(exact[i] - exact[j]) < K
                ):
                    small.append(f"{where} {key} {endpoint}: {exact[i]:g} - {exact[j]:g}")
    return small


def shown_facts(out: Path) -> Facts:
    """Everything the shareable outputs show, with the derivations an attacker would make."""
    tables = {p.stem: _csv(p) for p in (out / "tables").glob("*.csv")}
    facts = Facts()
    keyed(tables, facts, shown_only=True)
    at_risk_facts(out, facts)
    # the arms' "(N = 16)" in the header of baseline.md, "(n = 16)" in the toxicity figure
    for m in re.finditer(
        r"\| ([^|(]+?) \(N = (\d+)\)", (out / "tables" / "baseline.md").read_text()
    ):
        facts.add(("N", "Overall" if m.group(1) == "Overall" else m.group(1)), m.group(2))
    for ln in (out / "figures" / "text" / "toxicity.txt").read_text().splitlines():
        if m := re.match(r"^(.+?) \(n = (\d+)\)", ln):
            facts.add(("N", m.group(1)), m.group(2))
    # percentages with a shown denominator
    for row in tables["response"].to_dict("records"):
        n = _num(row["n"])
        for rate in ("orr", "cbr", "dcr"):
            pct = _num(row[f"{rate}_pct"])
            if n is not None and pct is not None:
                facts.add((rate, row["arm"]), round(pct * n / 100))
            # the upper limit of a 0 count gives n back (Clopper-Pearson: 1 - (alpha/2)^(1/n))
            upper = _num(row[f"{rate}_upper"])
            if _num(row[f"{rate}_n"]) == 0 and upper is not None and 0 < upper < 100:
                facts.add(("N", row["arm"]), round(math.log(0.025) / math.log(1 - upper / 100)))
    for row in tables["best_response"].to_dict("records"):
        n, pct = _num(row["n_arm"]), _num(row["pct"])
        if n is not None and pct is not None:
            facts.add(("bor", row["response"], row["arm"]), round(pct * n / 100))
    # the figures: "(n = 12)" under an arm, "PR 16.7%" per category, "ORR 16.7% (...)"
    text = (out / "figures" / "text" / "response.txt").read_text().splitlines()
    arms_n = [_num(m.group(1)) for ln in text if (m := re.search(r"\(n = (\d+)\)", ln))]
    arm_names = [ln.split(" /")[0] for ln in text if "(n = " in ln]
    for arm, n in zip(arm_names, arms_n, strict=True):
        facts.add(("N", arm), n)
    blocks, current = [], []
    for ln in text:
        m = re.match(r"^(CR|PR|SD|PD|NE|ORR|CBR) (\d+(\.\d+)?)%", ln)
        if m:
            current.append((m.group(1), float(m.group(2))))
            if m.group(1) == "CBR":
                blocks.append(current)
                current = []
    for arm, n, block in zip(arm_names, arms_n, blocks, strict=False):
        for what, pct in block:
            hits = [x for x in range(int(n) + 1) if round(100 * x / n, 1) == pct]
            key = ("bor", what, arm) if what not in ("ORR", "CBR") else (what.lower(), arm)
            if len(hits) == 1:
                facts.add(key, hits[0])
    # targets beside their computed values
    repro = _csv(out / "reproduction.csv")
    for row in repro.to_dict("records"):
        metric = row["metric"]
        for value in (row["computed"], row["published"] if row["status"] == "pass" else ""):
            if metric.startswith(("orr_n.", "cbr_n.", "dcr_n.")):
                rate, arm = metric.split(".", 1)
                facts.add((rate.removesuffix("_n"), arm), value)
            if metric.startswith("count."):
                _, col, level = metric.split(".", 2)
                facts.add(("N", col, level), value)
            if metric.startswith(("n.", "events.")):
                col, endpoint, arm = metric.split(".", 2)
                facts.add(("N", arm) if col == "n" else ("events", endpoint, arm), value)
    # arms add up to Overall
    for key in list(facts.values):
        if key[0] == "N" and len(key) == 2 and key[1] != "Overall":
            other = [a for a in ARMS if a != key[1]][0]
            total, part = facts.one(("N", "Overall")), facts.one(key)
            if total is not None and part is not None and facts.one(("N", other)) is None:
                facts.add(("N", other), total - part)
    return facts


def secrets(out: Path) -> dict[tuple, tuple[float, str]]:
    """The exact value of every masked count, keyed as in :func:`keyed`."""
    found: dict[tuple, tuple[float, str]] = {}
    for shared_path in (out / "tables").glob("*.csv"):
        shared = _csv(shared_path)
        internal = _csv(out / "internal" / shared_path.name)
        if shared.shape != internal.shape:
            continue
        hidden = shared.map(shareable.is_masked)
        if not hidden.to_numpy().any():
            continue
        masked_only = internal.copy()
        for c in internal.columns:
            if c in COUNT_COLUMNS or c.endswith("_n"):
                masked_only[c] = internal[c].where(hidden[c], "")
        exact = Facts()
        try:
            keyed({**_empty_tables(), shared_path.stem: masked_only}, exact, shown_only=False)
        except KeyError:
            continue
        for key, values in exact.values.items():
            for v in values:
                found[key] = (v, shared_path.name)
    return found


def _empty_tables() -> dict[str, pd.DataFrame]:
    cols = {
        "response": ["arm", "n", "orr_n", "cbr_n", "dcr_n"],
        "response_comparisons": [
            "rate",
            "arm",
            "reference",
            "n",
            "n_reference",
            "x",
            "x_reference",
        ],
        "best_response": ["arm", "response", "n", "n_arm"],
        "adverse_events": ["arm", "term", "n", *(f"{c}_n" for c in shareable.AE_COUNTS)],
        "adverse_events_by_category": [
            "arm",
            "category",
            "n",
            *(f"{c}_n" for c in shareable.AE_COUNTS),
        ],
        "survival": ["endpoint", "split", "group", "n", "events"],
        "attrition": ["arm", "step", "n"],
    }
    return {name: pd.DataFrame(columns=c) for name, c in cols.items()}


@pytest.mark.e2e
def test_the_audit_finds_small_counts_to_protect(project):
    hidden = secrets(project)
    assert any(1 <= v < K for v, _ in hidden.values()), "the study must have masked small counts"


@pytest.mark.e2e
def test_no_small_count_is_the_difference_of_two_shown_numbers_at_risk(project):
    """Numbers at risk (figures, landmarks.csv, with the group's n of survival.csv at time 0) and
    cumulative events: no two shown numbers of a row are both exact and 1..k-1 apart."""
    rows = at_risk_rows(project)
    assert any("landmarks" in w for w, _, _ in rows) and any("Cumulative" in w for w, _, _ in rows)
    assert at_risk_facts(project, Facts()) == []


@pytest.mark.e2e
def test_notes_print_no_small_count_and_no_zero_beside_a_masked_cell(project):
    """A note prints no count of 1..k-1, and in a row with a masked cell no count at all and no
    "no patients" / "no events" / "all patients censored"."""
    count = re.compile(r"\b(\d+) (?:patient|event)")
    zero = re.compile(r"\bno (?:[\w-]+ )?(?:patients|events)\b|\ball patients censored\b")
    bad = []
    for path in sorted((project / "tables").glob("*.csv")):
        table = _csv(path)
        if "note" not in table.columns:
            continue
        for i, row in table.iterrows():
            masked = any(shareable.is_masked(v) for v in row.to_numpy())
            note = row["note"]
            for m in count.finditer(note):
                if masked or 1 <= int(m.group(1)) < K:
                    bad.append(f"{path.name} row {i}: {note}")
            if masked and zero.search(note):
                bad.append(f"{path.name} row {i}: {note}")
    assert bad == []


@pytest.mark.e2e
def test_no_masked_count_is_recovered_from_the_shareable_outputs(project):
    facts = shown_facts(project)
    leaks = []
    for key, (value, where) in sorted(secrets(project).items(), key=str):
        if value in facts.values.get(key, set()):
            leaks.append(f"{where}: {key} = {value:g} is shown or derivable elsewhere")
    assert leaks == []


# ------------------------------------------------------------------------------------------------
# one decision on the arm sizes across survival.csv, comparisons.csv, the baseline header and
# reproduction.csv: a three-arm study (A 30, B 5, C 40) whose B is small. survival.csv hides B
# (primary) and A (so that B is not Overall - A - C); the attacks below are what a reader would do
# with the other outputs if they printed A.

SIZES = {"A": 30, "B": 5, "C": 40}


def _three_arm_survival() -> tuple[pd.DataFrame, pd.DataFrame]:
    events = {"A": 18, "B": 3, "C": 25}
    rows = [
        {"endpoint": "pfs", "split": "arm", "group": a, "arm": a, "n": n, "events": events[a],
         "censored": n - events[a], "note": ""}
        for a, n in SIZES.items()
    ]  # fmt: skip
    total, ev = sum(SIZES.values()), sum(events.values())
    rows.append({"endpoint": "pfs", "split": "overall", "group": "All", "arm": "", "n": total,
                 "events": ev, "censored": total - ev, "note": ""})  # fmt: skip
    comparisons = pd.DataFrame(
        [{"endpoint": "pfs", "arm": a, "reference": "A", "n": SIZES[a] + SIZES["A"],
          "events": events[a] + events["A"], "hr": 1.0, "note": ""} for a in ("B", "C")]
    )  # fmt: skip
    return pd.DataFrame(rows), comparisons


def _derive_sizes(known: dict[str, float], sums: list[tuple[list[str], float]]) -> dict:
    """Arm sizes a reader derives from shown sizes and shown sums of sizes (one unknown left)."""
    known = dict(known)
    for _ in range(5):
        for parts, total in sums:
            unknown = [p for p in parts if p not in known]
            if len(unknown) == 1:
                known[unknown[0]] = total - sum(known[p] for p in parts if p in known)
    return known


def _shown(value) -> float | None:
    return None if shareable.is_masked(value) else _num(value)


def test_arm_sizes_decision_hides_a_second_arm_beside_a_small_one():
    decided = shareable.arm_sizes(SIZES, K)
    assert decided == {"A": "complementary", "B": "primary", "C": "", "Overall": ""}
    assert shareable.arm_sizes({"A": 30, "B": 20}, K) == {"A": "", "B": "", "Overall": ""}
    assert set(shareable.arm_sizes(SIZES, 0).values()) == {""}


def test_comparisons_csv_gives_no_masked_arm_size_back():
    survival_t, comparisons = _three_arm_survival()
    sv, _ = shareable.survival_tables(survival_t, pd.DataFrame(), K, SIZES)
    comp = shareable.comparisons(comparisons, K, sv).table
    shown = {r["group"]: _shown(r["n"]) for r in sv.table.to_dict("records") if r["split"] == "arm"}
    assert shown == {"A": None, "B": None, "C": 40}
    overall = _shown(sv.table.loc[sv.table["split"] == "overall", "n"].iloc[0])
    sums = [(list(SIZES), overall)]
    sums += [([r["arm"], r["reference"]], _shown(r["n"])) for r in comp.to_dict("records")]
    derived = _derive_sizes({a: v for a, v in shown.items() if v is not None},
                            [(p, t) for p, t in sums if t is not None])  # fmt: skip
    assert "B" not in derived and "A" not in derived
    # without the survival table's masks, C vs A prints n = 70: A = 70 - 40, B = 75 - 40 - 30
    plain = shareable.comparisons(comparisons, K).table
    sums_plain = [(list(SIZES), overall)] + [
        ([r["arm"], r["reference"]], _shown(r["n"])) for r in plain.to_dict("records")
    ]
    assert _derive_sizes({"C": 40}, sums_plain)["B"] == 5
    # the events of a comparison are the sums of its arms' events: hidden with them
    ev = {
        r["group"]: _shown(r["events"]) for r in sv.table.to_dict("records") if r["split"] == "arm"
    }
    for r in comp.to_dict("records"):
        if ev[r["arm"]] is None or ev[r["reference"]] is None:
            assert shareable.is_masked(r["events"])


def test_baseline_header_and_levels_give_no_masked_arm_size_back():
    from her2rwe.analyses import baseline
    from her2rwe.outputs import suppression

    data = pd.DataFrame(
        {
            "arm": ["A"] * 30 + ["B"] * 5 + ["C"] * 40,
            "hr_status": ["positive"] * 18 + ["negative"] * 12 + ["positive"] * 3
            + ["negative"] * 2 + ["positive"] * 25 + ["negative"] * 15,
        }
    )  # fmt: skip
    arms = ["A", "B", "C"]
    t = baseline.summarize_baseline(
        data, arms, [baseline.Variable("hr_status", "categorical", "HR")]
    )
    sizes = {**SIZES, baseline.OVERALL: 75}
    t.attrs["n"] = sizes
    sh = shareable.baseline(t, K, [*arms, baseline.OVERALL], sizes)
    # "| A (N = *) | B (N = <11) | C (N = 40) | Overall (N = 75) |"
    header = sh.table.attrs["n"]
    assert shareable.is_masked(header["A"]) and shareable.is_masked(header["B"])
    assert header["C"] == 40 and header[baseline.OVERALL] == 75
    # the levels of a variable add up to the arm's N: never all shown for a hidden arm
    for arm in ("A", "B"):
        assert sh.table[f"{arm}__n"].map(shareable.is_masked).any()
    assert suppression.audit(sh.result) == []


def test_reproduction_hides_a_value_its_shareable_table_hides():
    from her2rwe.outputs import reproduce

    survival_t, comparisons = _three_arm_survival()
    sv, sg = shareable.survival_tables(survival_t, pd.DataFrame(), K, SIZES)
    internal = {"survival": survival_t, "comparisons": comparisons,
                "subgroup_survival": pd.DataFrame(columns=["endpoint", "variable", "level"])}  # fmt: skip
    shared = {**internal, "survival": sv.table,
              "comparisons": shareable.comparisons(comparisons, K, sv).table}  # fmt: skip
    targets = [
        {"metric": "n.pfs.A", "value": 30, "description": "30 patients on A"},
        {"metric": "n.pfs.C", "value": 40},
        {"metric": "events.pfs.C", "value": 25},
    ]
    checked = reproduce.check_targets(targets, internal)
    out = shareable.reproduction(checked, internal, K, shared)
    row = out.set_index("metric")
    # n.pfs.A = 30 is no small count, but survival.csv hides it (else B = 75 - 40 - 30)
    assert all(shareable.is_masked(row.at["n.pfs.A", c]) for c in ("computed", "published"))
    assert _num(row.at["n.pfs.C", "computed"]) == 40
    before = shareable.reproduction(checked, internal, K)
    assert _num(before.set_index("metric").at["n.pfs.A", "computed"]) == 30
