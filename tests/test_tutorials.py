"""Every tutorial runs against the current API (with ``MNE_NMM_TUTORIAL_QUICK=1``: shorter runs, same code).

A tutorial that stops running fails here, so none can silently rot. Each runs in its own
process, as a user would run it, from a temporary working directory, with the Agg backend.
"""

import os
import pathlib
import subprocess
import sys

import pytest

TUTORIALS = sorted((pathlib.Path(__file__).resolve().parents[1] / "tutorials").glob("[0-9][0-9]_*.py"))


@pytest.mark.realdata
@pytest.mark.parametrize("path", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_tutorial_runs(path, tmp_path):
    env = dict(os.environ, MNE_NMM_TUTORIAL_QUICK="1", MPLBACKEND="Agg", PYTHONWARNINGS="ignore")
    out = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=900)
    assert out.returncode == 0, f"{path.name} failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}"


def test_tutorials_are_found():
    assert len(TUTORIALS) >= 6
