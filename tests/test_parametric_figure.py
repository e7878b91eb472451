"""The parametric figure (fitted curves over the KM per arm) and the trial-context report section.

Expected curve values are written out by hand from the models' closed forms (survreg scale,
log T = mu + sigma W), rounded to the figure's 4 decimals.
"""

import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from her2rwe.config import validate_config
from her2rwe.outputs import report
from her2rwe.outputs.plotting import figures, parametric

REPO = Path(__file__).resolve().parents[1]
FIX = REPO / "tests" / "fixtures" / "figures"
TRIAL = "Trial X"


@pytest.fixture(scope="module")
def setup():
    cfg = validate_config(yaml.safe_load((FIX / "config.yaml").read_text()))["studies"]["two_arm"]
    cfg = dict(cfg)
    cfg["trial_context"] = [{"name": "x", "label": TRIAL, "endpoint": "os", "curve": "c.csv"}]
    cfg["parametric"] = {"distributions": ["exponential", "weibull"], "horizon": 60}
    tables = figures.read_tables({k: FIX / "two_arm" / p for k, p in figures.TABLES.items()})
    tables[figures.TRIAL_CONTEXT_CURVES] = pd.DataFrame(
        {"endpoint": "os", "group": TRIAL, "time": [0.0, 2.0, 5.0], "surv": [1.0, 0.6, 0.3]}
    )
    return cfg, tables


MU_ADC = math.log(10.0)


def _models(mu_adc=MU_ADC):
    rows = [
        # ADC exponential: S(t) = exp(-t / 10); Weibull mu = log 20, sigma = 0.5: S = exp(-(t/20)^2)
        ("real-world", "ADC", "exponential", mu_adc, 1.0, True),
        ("real-world", "ADC", "weibull", math.log(20.0), 0.5, True),
        ("real-world", "HP+C", "exponential", math.log(30.0), 1.0, True),
        ("real-world", "HP+C", "weibull", math.nan, math.nan, False),  # not drawn
        ("reconstructed", TRIAL, "exponential", math.log(4.0), 1.0, True),
        ("reconstructed", TRIAL, "weibull", math.log(4.0), 0.8, True),
    ]
    table = pd.DataFrame(
        rows, columns=["source", "arm", "distribution", "mu", "sigma", "converged"]
    )
    table.insert(0, "endpoint", "os")
    table["q"] = np.nan
    return table


def _draw(setup, models):
    cfg, tables = setup
    tables = dict(tables, **{parametric.PARAMETRIC: models})
    [(_, fig)] = list(figures.draw_study_figures(tables, cfg, ["parametric_os"]))
    return fig


def _line(fig, gid):
    [line] = [ln for ax in fig.axes for ln in ax.lines if ln.get_gid() == gid]
    return line


def test_registered_for_endpoints_with_a_trial_arm_only(setup):
    cfg, _ = setup
    assert "parametric" in figures.kinds()
    assert [s.name for s in figures.figure_specs(cfg) if s.kind == "parametric"] == [
        "parametric_os"
    ]
    plain = {k: v for k, v in cfg.items() if k not in ("trial_context", "parametric")}
    assert not [s for s in figures.figure_specs(plain) if s.kind == "parametric"]


def test_curves_are_the_fitted_models_rounded_over_the_km(setup):
    fig = _draw(setup, _models())
    exp_adc = _line(fig, "model:ADC:exponential")
    t = exp_adc.get_xdata()
    assert t[0] == 0 and t[-1] == 60 and len(t) == parametric.GRID_POINTS
    i10, i30 = int(np.flatnonzero(t == 10.0)[0]), int(np.flatnonzero(t == 30.0)[0])
    # exp(-1) = 0.36787944..., exp(-3) = 0.04978706...
    assert exp_adc.get_ydata()[i10] == 0.3679 and exp_adc.get_ydata()[i30] == 0.0498
    # exp(-(10/20)^2) = exp(-0.25) = 0.77880078...
    assert _line(fig, "model:ADC:weibull").get_ydata()[i10] == 0.7788
    # the model that did not converge is not drawn
    assert not [ln for ax in fig.axes for ln in ax.lines if ln.get_gid() == "model:HP+C:weibull"]
    # the reconstructed arm's KM steps from its curve table, at its own panel
    km = _line(fig, f"km:{TRIAL}")
    np.testing.assert_array_equal(km.get_xdata(), [0.0, 0.0, 2.0, 5.0])
    np.testing.assert_array_equal(km.get_ydata(), [1.0, 1.0, 0.6, 0.3])
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert titles == ["ADC", "HP+C", f"{TRIAL} (reconstructed)"]


def _pdf(fig):
    buf = io.BytesIO()
    fig.savefig(
        buf, format="pdf", metadata={"CreationDate": None, "Producer": None, "Creator": None}
    )
    return buf.getvalue()


def test_pdf_does_not_depend_on_last_bits_of_the_parameters(setup):
    a = _pdf(_draw(setup, _models()))
    # another BLAS kernel moves a fitted parameter in its last bits, not by 1e-8
    b = _pdf(_draw(setup, _models(MU_ADC + 1e-8)))
    c = _pdf(_draw(setup, _models(math.log(10.5))))
    assert a == b
    assert a != c  # a real change of the model changes the drawing


def test_no_models_gives_a_placeholder(setup):
    fig = _draw(setup, _models().iloc[0:0])
    assert "No data" in [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]


def test_trial_context_section_of_the_summary():
    assert report.trial_context_section([]) == ""
    assert report.trial_context_section(["  ", ""]) == ""
    text = report.trial_context_section(["**A**\n\n| x |\n| - |\n| 1 |\n", "**B**\n"])
    assert text == "## Trial context\n\n**A**\n\n| x |\n| - |\n| 1 |\n\n**B**\n\n"
