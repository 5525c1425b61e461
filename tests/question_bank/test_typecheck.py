"""`make typecheck` (mypy on the pure question_bank package) stays clean: it had rotted to
eight errors unnoticed (openpyxl's stubs missing, two loose annotations, a stale ignore)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_make_typecheck_finds_nothing(tmp_path: Path) -> None:
    pytest.importorskip("mypy")  # the dev extra, which make test installs
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path), "question_bank"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("Success: no issues found"), done.stdout
