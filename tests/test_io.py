"""Results tables round-trip exactly, and writes are atomic."""

import numpy as np
import pandas as pd
import pytest

from her2rwe import io


def test_tables_round_trip_to_the_last_bit(tmp_path):
    rng = np.random.default_rng(7)
    values = np.concatenate([rng.random(2000) * 100, [8.1, 0.1, 1 / 3, 2.0**-30, 1e300, np.nan]])
    frame = pd.DataFrame({"x": values, "label": ["a"] * len(values)})
    io.write_table(frame, tmp_path / "t.csv")
    back = io.read_table(tmp_path / "t.csv")
    # exact equality, bit for bit (NaN where NaN): no tolerance
    assert np.array_equal(back["x"].to_numpy(), values, equal_nan=True)
    assert repr(back["x"].iloc[-6]) in ("np.float64(8.1)", "8.1")


def test_failed_write_leaves_no_file(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError), io.atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_rewrite_removes_temporaries_a_sigkill_left(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    target = tmp_path / "figures" / "km_pfs.pdf"
    script = (
        "import sys, time\n"
        "from her2rwe.io import atomic_path\n"
        "with atomic_path(sys.argv[1]) as tmp:\n"
        "    tmp.write_bytes(b'half')\n"
        "    print('ready', flush=True)\n"
        "    time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(target)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "ready"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    leftovers = [p.name for p in target.parent.iterdir()]
    assert len(leftovers) == 1 and leftovers[0].startswith(".km_pfs.pdf.")  # what a kill leaves
    other = target.parent / ".km_pfs.png.keep"  # another target's file is not touched
    other.write_text("x")
    io.write_text("complete", target)  # the rerun writes the target again
    assert sorted(p.name for p in target.parent.iterdir()) == [".km_pfs.png.keep", "km_pfs.pdf"]
    assert target.read_text() == "complete"
