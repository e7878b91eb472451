"""Competing-risks endpoints and tables: derivation, bad input, R parity through the study tables,
suppression and the reproduction metric.

Expected numbers come from R (tests/r/competing_reference.R: cmprsk 2.2.11 on survival's colon as a
three-arm study) or from the hand calculation in the test. Tolerance: relative 1e-6.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from her2rwe.analyses import competing as analysis
from her2rwe.config import ConfigError, study_settings
from her2rwe.derive.endpoints import (
    BUILTIN_ENDPOINTS,
    DerivationError,
    EndpointDefinition,
    derive_endpoint,
    derive_endpoints,
)
from her2rwe.derive.preflight import check_study_against_data
from her2rwe.outputs import reproduce, shareable

FIX = Path(__file__).parent / "fixtures"

ILD = EndpointDefinition.from_config(
    "ild",
    {
        "events": [{"date": "ild_date", "source": "ild"}],
        "competing": [{"date": "death_date", "source": "death"}],
        "censor": [{"date": "last_contact_date", "source": "last_contact"}],
    },
)


def dates(**cols):
    return pd.DataFrame({k: pd.to_datetime(v) for k, v in cols.items()})


def cohort(ild, death):
    n = len(ild)
    return dates(
        index_date=["2030-01-01"] * n,
        ild_date=ild,
        death_date=death,
        last_contact_date=["2030-07-01"] * n,
    )


def test_competing_endpoint_takes_the_first_of_event_and_competing_event():
    frame = cohort(
        ["2030-02-01", None, "2030-04-01", None], [None, "2030-03-01", "2030-02-15", None]
    )
    out = derive_endpoint(frame, ILD)
    assert list(out.columns) == ["ild_months", "ild_status", "ild_source"]
    assert out["ild_status"].tolist() == [1, 2, 2, 0]
    assert out["ild_source"].tolist() == ["ild", "death", "death", "last_contact"]
    # hand: 31, 59, 45 and 181 days
    np.testing.assert_allclose(out["ild_months"], np.array([31, 59, 45, 181]) / 30.4375)


def test_same_day_event_and_competing_event_is_an_error_unless_a_tie_rule_is_set():
    frame = cohort(["2030-02-01", "2030-03-01"], ["2030-02-01", None])
    with pytest.raises(DerivationError, match=r"'ild': 1 patient\(s\) have the event and the"):
        derive_endpoint(frame, ILD)
    ev = derive_endpoint(frame, dataclasses.replace(ILD, same_day="event"))
    assert ev["ild_status"].tolist() == [1, 1] and ev["ild_source"].iloc[0] == "ild"
    cp = derive_endpoint(frame, dataclasses.replace(ILD, same_day="competing"))
    assert cp["ild_status"].tolist() == [2, 1] and cp["ild_source"].iloc[0] == "death"


def test_competing_source_naming_a_missing_column_is_an_error():
    frame = cohort(["2030-02-01"], [None]).drop(columns="death_date")
    with pytest.raises(
        DerivationError, match="needs column.*death_date.*ild_months and ild_status"
    ):
        derive_endpoint(frame, ILD)


def test_preflight_names_the_missing_competing_column_and_a_misplaced_endpoint(tmp_path):
    path = tmp_path / "cohort.csv"
    path.write_text(
        "patient_id,arm,index_date,ild_date,last_contact_date\nP1,A,2030-01-01,,2030-05-01\n"
    )
    study = {
        "cohort": str(path),
        "arms": {"column": "arm"},
        "endpoints": ["ild"],
        "competing_endpoints": ["ild", "nothing"],
        "endpoint_definitions": {
            "ild": {
                "events": [{"date": "ild_date"}],
                "competing": [{"date": "death_date"}],
                "censor": [{"date": "last_contact_date"}],
            }
        },
    }
    with pytest.raises(ConfigError) as exc:
        check_study_against_data("s", study_settings(study))
    text = str(exc.value)
    assert "studies.s.endpoint_definitions.ild.competing: column 'death_date' is not in" in text
    assert (
        "studies.s.endpoints: 'ild' has competing sources; list it under competing_endpoints"
        in text
    )
    assert "studies.s.competing_endpoints: 'nothing' has no definition" in text


def test_duration_form_with_status_declares_a_competing_endpoint():
    frame = pd.DataFrame({"x_months": [1.0, 2.0, 3.0], "x_status": [0, 1, 2]})
    out = derive_endpoints(frame, [], {}, competing=["x"])
    assert out["x_status"].tolist() == [0, 1, 2]
    assert out["x_source"].tolist() == ["censored", "event", "competing"]
    bad = frame.assign(x_status=[0, 3, np.nan])
    with pytest.raises(DerivationError, match=r"2 value\(s\) of x_status outside 0"):
        derive_endpoints(bad, [], {}, competing=["x"])


def test_ttnt_with_death_competing_is_built_in():
    d = BUILTIN_ENDPOINTS["ttnt_cr"]
    assert d.is_competing and [s.date for s in d.competing] == ["death_date"]
    frame = dates(
        index_date=["2030-01-01"] * 3,
        next_treatment_date=["2030-03-01", None, None],
        death_date=[None, "2030-02-01", None],
        last_contact_date=["2030-05-01"] * 3,
    )
    assert derive_endpoint(frame, d)["ttnt_cr_status"].tolist() == [1, 2, 0]


def colon_study():
    d = pd.read_csv(FIX / "competing_data_colon.csv")
    data = pd.DataFrame({"arm": d["group"], "rec_months": d["time"], "rec_status": d["status"]})
    study = {
        "cohort": "colon.csv",
        "arms": {"column": "arm", "reference": "Obs"},
        "endpoints": ["os"],
        "competing_endpoints": ["rec"],
        "landmarks": [365, 730, 1825],
        "figures": {"risk_table_interval": 365},
    }
    return data, study


def test_study_tables_match_r_cmprsk_on_colon():
    # R: cuminc + timepoints per arm and overall; cuminc(group)$Tests and crr on each arm vs Obs
    data, study = colon_study()
    res = analysis.summarize_competing(data, study)
    r = pd.read_csv(FIX / "competing_tables_colon.csv")
    ci = res.cumulative_incidence.set_index(["arm", "event_type", "time"])
    cmp = res.competing_comparisons.set_index("arm")
    checked = 0
    for row in r.itertuples(index=False):
        parts = row.key.split(" ")
        if len(parts) == 3:
            got = ci.at[(parts[0], parts[1], float(parts[2])), row.column]
        else:
            got = cmp.at[row.key, row.column]
        np.testing.assert_allclose(got, row.value, rtol=1e-6, err_msg=f"{row.key} {row.column}")
        checked += 1
    assert checked == len(r) > 150
    assert cmp["reference"].tolist() == ["Obs", "Obs"]
    assert (res.cumulative_incidence["arm"].unique().tolist()) == ["Obs", "Lev", "Lev+5FU", "All"]


def test_values_past_the_last_follow_up_are_missing_and_curves_step():
    data, study = colon_study()
    study = {**study, "landmarks": [365, 5000]}
    res = analysis.summarize_competing(data, study)
    late = res.cumulative_incidence[res.cumulative_incidence["time"] == 5000]
    assert late["cif"].isna().all() and (late["n_risk"] == 0).all()
    assert (late["note"] == "after the last follow-up").all()
    cur = res.cif_curves[
        (res.cif_curves["arm"] == "All") & (res.cif_curves["event_type"] == "event")
    ]
    assert cur["time"].iloc[0] == 0 and cur["cif"].iloc[0] == 0
    assert np.all(np.diff(cur["cif"]) >= 0)
    risk = res.risk_table[res.risk_table["arm"] == "All"]
    assert risk["n_risk"].iloc[0] == len(data)


def test_shareable_tables_mask_small_counts():
    data = pd.DataFrame(
        {
            "arm": ["A"] * 30 + ["B"] * 30,
            "x_months": np.r_[np.arange(1, 31), np.arange(1, 31)].astype(float),
            "x_status": [1, 2] + [0] * 28 + [1] * 12 + [2] * 12 + [0] * 6,
        }
    )
    study = {"arms": {"column": "arm"}, "endpoints": ["os"], "competing_endpoints": ["x"],
             "landmarks": [10]}  # fmt: skip
    res = analysis.summarize_competing(data, study)
    ci = shareable.cumulative_incidence(res.cumulative_incidence, 11)
    a = ci.table[(ci.table["arm"] == "A") & (ci.table["event_type"] == "event")].iloc[0]
    assert a["events"] == "<11" and a["events_total"] == "<11" and a["crude_pct"] == "<11"
    assert not isinstance(a["cif"], str)  # estimates are shown, as in landmarks.csv
    cmp = shareable.competing_comparisons(res.competing_comparisons, 11)
    assert cmp.table["n"].iloc[0] == 60  # 13 events, 13 competing: nothing small
    assert ci.footnote()


def test_reproduction_metric_reads_crude_and_cif_with_the_cif_beside_the_crude():
    data, study = colon_study()
    tables = {
        "cumulative_incidence": analysis.summarize_competing(data, study).cumulative_incidence
    }
    targets = [
        {"metric": "crude_pct.rec.Obs", "value": 56.2},
        {"metric": "cif.rec.Obs@365", "value": 0.3, "tolerance": 0.1},
    ]
    out = reproduce.check_targets(targets, tables)
    d = pd.read_csv(FIX / "competing_data_colon.csv")
    obs = d[d["group"] == "Obs"]
    crude = 100 * (obs["status"] == 1).sum() / len(obs)  # hand: 177 of 315 = 56.2%
    assert out["computed"].iloc[0] == pytest.approx(crude, rel=1e-12)
    assert out["note"].iloc[0].startswith("Aalen-Johansen cumulative incidence: 365 mo")
    r = pd.read_csv(FIX / "competing_tables_colon.csv")
    cif = r[(r["key"] == "Obs event 365") & (r["column"] == "cif")]["value"].iloc[0]
    assert out["computed"].iloc[1] == pytest.approx(cif, rel=1e-6)
    assert out["status"].tolist() == ["pass", "pass"]
    with pytest.raises(reproduce.MetricError, match="cif.<endpoint>.<arm>@<months>"):
        reproduce.parse_metric("cif.rec.Obs")


def test_methods_paragraph_names_the_competing_risks_estimators():
    from her2rwe.outputs import report

    study = {
        "cohort": "c.csv",
        "endpoints": ["os"],
        "competing_endpoints": ["ild", "ttnt_cr"],
        "endpoint_definitions": {
            "ild": {
                "label": "ILD recurrence",
                "events": [{"date": "ild_date"}],
                "competing": [{"date": "death_date", "source": "death"}],
                "censor": [{"date": "last_contact_date"}],
            }
        },
    }
    text = report.methods_paragraph(study, 30.4375, {"her2rwe": "0"})
    assert (
        "The cumulative incidence of ILD recurrence (death competing) and next treatment "
        "(death competing) was estimated with the Aalen-Johansen estimator" in text
    )
    assert "Gray's test" in text and "Fine-Gray" in text
    assert "Aalen-Johansen" not in report.methods_paragraph(
        {**study, "competing_endpoints": []}, 30.4375, {}
    )


def test_cumulative_incidence_figure_draws_the_results_tables():
    from her2rwe.outputs.plotting import cif, figures, style
    from her2rwe.outputs.plotting.spec import FigureContext

    data, study = colon_study()
    res = analysis.summarize_competing(data, study)
    tables = {
        "cumulative_incidence": res.cumulative_incidence,
        "competing_comparisons": res.competing_comparisons,
        "cif_curves": res.cif_curves,
        "cif_risk_table": res.risk_table,
    }
    # registered as a figure kind, reading its own tables only in studies that have it
    settings = study_settings(study)
    (spec,) = [s for s in figures.figure_specs(settings) if s.kind == "cif"]
    assert spec.name == "cif_rec" and figures.caption(spec) == "cif.rst"
    assert set(cif.SOURCES) <= set(figures.figure_sources(settings))
    plain = study_settings({**study, "competing_endpoints": []})
    assert not set(cif.SOURCES) & set(figures.figure_sources(plain))
    arms = ["Obs", "Lev", "Lev+5FU"]
    ctx = FigureContext(tables, settings, arms, style.arm_colors(arms), min_cell_count=400)
    fig = cif.draw(spec, ctx)
    text = style.drawn_text(fig)
    # the curves are drawn rounded to PLOT_DECIMALS
    drawn = [
        line.get_ydata() for line in fig.axes[1].lines if str(line.get_gid()).startswith("cif:")
    ]
    assert drawn and all(np.array_equal(y, np.round(y, cif.PLOT_DECIMALS)) for y in drawn)
    r = pd.read_csv(FIX / "competing_tables_colon.csv").set_index(["key", "column"])["value"]
    shr = f"{r[('Lev+5FU', 'shr')]:.2f}"
    assert any(t.startswith(f"Lev+5FU vs Obs: SHR {shr} (95% CI") and "Gray's p" in t for t in text)
    assert "REC (competing)" not in text and "Competing event" in text
    assert "<400" in text  # numbers at risk 1..k-1 are masked
    assert [t for t in text if t.startswith("REC, Obs (95% CI): 365 mo ")]


def test_markdown_tables_and_results_sentence_print_the_r_values():
    from her2rwe.outputs import report

    data, study = colon_study()
    res = analysis.summarize_competing(data, study)
    r = pd.read_csv(FIX / "competing_tables_colon.csv").set_index(["key", "column"])["value"]

    def pct(key):  # "23.9 (21.2-26.7)", R's cif and CI in %
        return f"{100 * r[(key, 'cif')]:.1f} ({100 * r[(key, 'cif_lower')]:.1f}-{100 * r[(key, 'cif_upper')]:.1f})"

    md = analysis.format_tables(res, study, {"cumulative_incidence": "Masked: none."})
    (table,) = report.parse_markdown_tables(md["cumulative_incidence"])
    assert table.header[:4] == ["Event", "Arm", "N", "Events, n (%)"]
    assert table.header[4:] == [f"{t} months, % (95% CI)" for t in (365, 730, 1825)]
    assert len(table.rows) == 8  # 3 arms and All, event and competing
    obs = next(row for row in table.rows if row[:2] == ["REC", "Obs"])
    assert obs[4:] == [pct(f"Obs event {t}") for t in (365, 730, 1825)]
    assert "Masked: none." in md["cumulative_incidence"]
    (comparisons,) = report.parse_markdown_tables(md["competing_comparisons"])
    lev5 = next(row for row in comparisons.rows if row[1] == "Lev+5FU vs Obs")
    shr = f"{r[('Lev+5FU', 'shr')]:.2f} ({r[('Lev+5FU', 'shr_lower')]:.2f}-{r[('Lev+5FU', 'shr_upper')]:.2f})"
    assert lev5[5] == shr

    (sentence,) = report.competing_sentences(
        study, res.cumulative_incidence, res.competing_comparisons
    )
    assert sentence.startswith("With competing events, the cumulative incidence of REC was ")
    assert f"{pct('Obs event 365').replace(' (', '% (95% CI ', 1)} at 365 months" in sentence
    assert f"Lev+5FU vs Obs: SHR {r[('Lev+5FU', 'shr')]:.2f}, 95% CI " in sentence
    assert report.competing_sentences({**study, "competing_endpoints": []}, None, None) == []
