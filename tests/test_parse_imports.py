"""The modules the workflow imports while Snakemake parses it stay light: every `snakemake`
command (a dry run, a no-op rerun, a one-file target) pays for them before any job starts.
pandas, matplotlib and scipy belong in the jobs, not in the parse. The module list is the set of
her2rwe imports at the top of workflow/rules/*.smk."""

import re
import subprocess
import sys
from pathlib import Path

RULES = Path(__file__).resolve().parents[1] / "workflow" / "rules"
# top-level imports only (an import indented inside a rule's run: block happens in the job)
PARSE_TIME_MODULES = sorted(
    {
        m
        for smk in RULES.glob("*.smk")
        for m in re.findall(r"^from (her2rwe[\w.]*) import", smk.read_text(), flags=re.M)
    }
)
HEAVY = ["pandas", "matplotlib", "scipy", "pyarrow", "docx", "lifelines"]


def test_the_parse_time_module_list_is_read_from_the_rules():
    assert "her2rwe.outputs.plotting.figures" in PARSE_TIME_MODULES
    assert "her2rwe.derive.preflight" in PARSE_TIME_MODULES


def test_the_workflow_parse_imports_no_heavy_library():
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in PARSE_TIME_MODULES)
        + f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == []
