"""Counts outside count columns (issue 12, class 8): numbers at risk, notes, response n_total and
the parametric fits' likelihoods, as shared with min_cell_count k = 11. Expected values by hand."""

import math

import pandas as pd

from her2rwe.outputs import shareable

K = 11


def test_numbers_at_risk_are_coarsened_to_multiples_of_k():
    assert [shareable.coarsen_at_risk(v, K) for v in (0, 1, 10, 11, 16, 21, 22, 32, 33, 150)] == [
        0, "<11", "<11", 11, 11, 11, 22, 22, 33, 143,
    ]  # fmt: skip
    assert [shareable.coarsen_at_risk(v, 0) for v in (0, 5, 16)] == [0, 5, 16]
    rows = shareable.mask_risk_rows({"A": [16, 15, 13, 12, 5, 0], "B": [None, 12]}, K)
    assert rows == {"A": [11, 11, 11, 11, "<11", 0], "B": [None, 11]}
    # two shown numbers of a row differ by a multiple of k or by an unknown amount
    shown = [v for v in rows["A"] if isinstance(v, int) and v > 0]
    assert all((a - b) % K == 0 for a in shown for b in shown)
    assert "rounded down to a multiple of 11" in shareable.risk_rows_note(K)
    assert shareable.risk_rows_note(0) == ""


def test_landmarks_table_coarsens_n_risk():
    table = pd.DataFrame({"group": ["A", "A", "B"], "time": [6, 12, 6], "n_risk": [25, 7, 0]})
    shared = shareable.landmarks(table, K)
    assert list(shared.table["n_risk"]) == [22, "<11", 0]
    assert list(shared.status["n_risk"]) == ["", "primary", ""]
    assert shareable.landmarks(table, 0).table.equals(table)


def test_notes_mask_counts_and_zeros():
    note = "3 patient(s) without a best response counted as non-responders"
    assert shareable.mask_note(note, K, False) == (
        "<11 patient(s) without a best response counted as non-responders"
    )
    assert shareable.mask_note("12 patient(s) without a best response", K, False).startswith("12 ")
    # beside a masked cell, every count and every zero statement is hidden
    assert shareable.mask_note("12 patient(s) without a best response", K, True).startswith("* ")
    for zero in (
        "no patients",
        "a group has no patients in the denominator",
        "no events on one side: hazard ratio not estimable",
        "no real-world patients in this arm",
        "all patients censored: median and survival percentiles not estimable",
    ):
        assert shareable.mask_note(zero, K, True) == "*", zero
        assert shareable.mask_note(zero, K, False) == zero
    assert shareable.mask_note("median not reached", K, True) == "median not reached"
    assert shareable.mask_note(note, 0, True) == note


def test_a_no_patients_note_beside_a_masked_cell_is_hidden():
    # complementary cells: B's n (5) is small, so A's must hide too (arms add up to Overall)
    table = pd.DataFrame(
        {
            "arm": ["A", "B", "Overall"],
            "n": [20, 5, 25],
            "orr_n": [0, 2, 2],
            "note": ["no patients responded", "", ""],
        }
    )
    shared = shareable._simple(
        table, K, ["n", "orr_n"], margins=[shareable.Margin("arm", "Overall")]
    )
    assert list(shared.table["n"]) == ["*", "<11", 25]
    assert list(shared.table["note"]) == ["*", "", ""]
    # without suppression the note stays
    assert shareable._simple(table, 0, ["n"]).table.at[0, "note"] == "no patients responded"


def test_response_n_total_is_masked_with_n():
    table = pd.DataFrame(
        {
            "arm": ["A", "B", "Overall"],
            "n": [16, 7, 23],
            "orr_n": [12, 0, 12],
            "cbr_n": [13, 0, 13],
            "dcr_n": [14, 0, 14],
            "n_total": [16, 7, 23],
            "note": ["", "", ""],
        }
    )
    shared = shareable.response(table, K)
    # B's n_total is small; A's with the Overall one would give it back: the smaller part hides
    assert list(shared.table["n_total"]) == ["*", "<11", 23]


def test_parametric_likelihoods_are_hidden_where_the_arm_counts_are():
    # exponential fit of d events in total time T: mu = log(T / d), loglik = -d (mu + 1); with
    # d = 7, T = 70: mu = log 10, loglik = -7 (log 10 + 1); AIC = -2 loglik + 2; BIC = -2 loglik + log n
    mu = math.log(10.0)
    loglik = -7 * (mu + 1)
    models = pd.DataFrame(
        {
            "endpoint": ["os", "os"],
            "source": ["real-world", "reconstructed"],
            "arm": ["B", "Trial"],
            "distribution": ["exponential", "exponential"],
            "mu": [mu, 2.0],
            "loglik": [loglik, -100.0],
            "aic": [-2 * loglik + 2, 202.0],
            "bic": [-2 * loglik + math.log(12), 204.0],
            "delta_aic": [0.0, 0.0],
            "note": ["", ""],
        }
    )
    # the events of B are recoverable from its row: -loglik / (mu + 1) = 7
    assert round(-models.at[0, "loglik"] / (models.at[0, "mu"] + 1)) == 7
    survival = pd.DataFrame(
        {"endpoint": ["os"], "split": ["arm"], "group": ["B"], "n": [12], "events": ["<11"]}
    )
    shown = shareable.parametric(models, survival, K).table
    assert list(shown.loc[0, ["loglik", "aic", "bic", "delta_aic"]]) == ["*"] * 4
    assert shown.at[0, "mu"] == mu
    assert list(shown.loc[1, ["loglik", "aic", "bic"]]) == [-100.0, 202.0, 204.0]
    assert shareable.parametric(models, survival, 0).table.equals(models)


def test_adverse_event_category_share_of_a_hidden_cell_is_masked():
    # hematologic grade 3-4: A 12, B 3 (small), Overall 15: A's 12 is hidden as a complementary
    # cell. The share of gastrointestinal events in A, 15 / (12 + 15), is made of it (with A's 15
    # it would give 12 back), although neither 15 nor the remainder 12 is small.
    rows = []
    for arm, n, hema, gi in (("A", 30, 12, 15), ("B", 40, 3, 15), ("Overall", 70, 15, 30)):
        for category, x in (("hematologic", hema), ("gastrointestinal", gi)):
            rows.append({"arm": arm, "category": category, "n": n, "any_grade_n": x,
                         "grade3plus_n": x, "grade34_n": x, "grade5_n": 0})  # fmt: skip
    ae = pd.DataFrame(rows)
    shown = shareable.adverse_events(ae, K).table
    assert shown.at[0, "grade34_n"] == "*"
    metric = "grade34_share.gastrointestinal.A"
    table = pd.DataFrame(
        {"metric": [metric], "published": [55.6], "computed": [100 * 15 / 27], "status": ["pass"],
         "description": ["share"]}
    )  # fmt: skip
    out = shareable.reproduction(table, {"adverse_events_by_category": ae}, K)
    assert list(out.loc[0, ["computed", "published", "description"]]) == ["<11"] * 3
    # without the hidden cell (B's count not small) the share is shown
    ae.loc[(ae["arm"] == "B") & (ae["category"] == "hematologic"), [
        "any_grade_n", "grade3plus_n", "grade34_n"]] = 13  # fmt: skip
    ae.loc[(ae["arm"] == "Overall") & (ae["category"] == "hematologic"), [
        "any_grade_n", "grade3plus_n", "grade34_n"]] = 25  # fmt: skip
    out = shareable.reproduction(table, {"adverse_events_by_category": ae}, K)
    assert out.at[0, "computed"] == 100 * 15 / 27


def test_figure_n_labels_follow_the_shareable_tables():
    """An arm's n that response.csv or adverse_events.csv hides (here as a complementary cell)
    is not printed by the response and toxicity figures either."""
    from pathlib import Path

    import yaml

    from her2rwe.config import validate_config
    from her2rwe.outputs.plotting import figures, style

    fix = Path(__file__).resolve().parent / "fixtures" / "figures"
    cfg = validate_config(yaml.safe_load((fix / "config.yaml").read_text()))["studies"]["two_arm"]
    tables = figures.read_tables({k: fix / "two_arm" / p for k, p in figures.TABLES.items()})
    exact = dict(figures.draw_study_figures(tables, cfg, ["response", "toxicity"], K))
    labels = [t for f in exact.values() for t in style.drawn_text(f) if "(n = " in t]
    assert labels and not any("(n = *)" in t for t in labels)
    arm = str(tables["response"]["arm"].iloc[0])
    for key, source in (("response_shown", "response"), ("adverse_events_shown", "adverse_events")):
        shown = tables[source].copy()
        shown["n"] = shown["n"].astype(object)
        shown.loc[shown["arm"].astype(str) == arm, "n"] = "*"
        tables[key] = shown
    hidden = dict(figures.draw_study_figures(tables, cfg, ["response", "toxicity"], K))
    for name, fig in hidden.items():
        text = style.drawn_text(fig)
        assert any(t.startswith(f"{arm} / (n = *)") or t.startswith(f"{arm} (n = *)") for t in text), (
            name, text,
        )  # fmt: skip
