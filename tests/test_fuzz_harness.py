"""The CI fuzzer (tests/fuzz/fuzz_bundles.py) runs from the samples; .ci/run runs it longer."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

HARNESS = Path(__file__).parent / "fuzz" / "fuzz_bundles.py"


def run(tmp_path, *args):
    return subprocess.run(
        [sys.executable, str(HARNESS), *args, f"-artifact_prefix={tmp_path}/"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )


def test_the_fuzzer_runs_from_the_samples_without_a_crash(tmp_path):
    done = run(tmp_path, "-runs=300")
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"^Done \d+ runs", done.stderr, re.MULTILINE)

