"""`contact360 --selftest` from the source tree, and the frozen-app helpers (fast; not `packaging`)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from contact360_desktop import _frozen
from contact360_desktop.cli._selftest import SAMPLE_CSV, SAMPLE_ROWS, compare_round_trip

ROOT = Path(__file__).resolve().parents[2]


def run_source_selftest(tmp_path: Path, **extra_env: str) -> subprocess.CompletedProcess[str]:
    """`python -m contact360_desktop --selftest` with none of this machine's CONTACT360_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTACT360_")}
    env.update(extra_env)
    return subprocess.run(
        [sys.executable, "-m", "contact360_desktop", "--selftest"],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
        env=env,
    )


def test_source_selftest_passes(tmp_path: Path) -> None:
    result = run_source_selftest(tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    assert "round trip ok: 100 contacts" in result.stdout
    assert not list(
        Path(os.environ.get("TMPDIR", "/tmp")).glob("contact360-selftest-*/data/pgdata/postmaster.pid")
    )


def test_selftest_names_the_failing_step(tmp_path: Path) -> None:
    # A job timeout of 0 s: the import cannot finish, so the test must fail there, clean up, and say so.
    result = run_source_selftest(tmp_path, CONTACT360_SELFTEST_TIMEOUT="0")
    assert result.returncode == 1
    assert "FAILED at step 'import'" in result.stderr
    assert "cleaned up" in result.stdout


def test_sample_has_100_distinct_valid_rows() -> None:
    path = _frozen.resource_path(SAMPLE_CSV)
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == SAMPLE_ROWS
    assert len({r["email"].lower() for r in rows}) == SAMPLE_ROWS
    assert all(r["email"] and r["first_name"] and r["last_name"] for r in rows)


def test_compare_round_trip_reports_differences() -> None:
    want = {"a@x.io": {"email": "a@x.io", "city": "Boston"}, "b@x.io": {"email": "b@x.io", "city": "Austin"}}
    assert compare_round_trip(want, want) == []
    got = {"a@x.io": {"email": "a@x.io", "city": "Denver"}, "c@x.io": {"email": "c@x.io", "city": ""}}
    problems = compare_round_trip(want, got)
    assert "b@x.io: missing from the export" in problems
    assert "c@x.io: in the export but not in the sample" in problems
    assert "a@x.io: city 'Boston' came back as 'Denver'" in problems


def test_resource_path_from_source_and_missing() -> None:
    assert _frozen.resource_path(SAMPLE_CSV) == ROOT / "resources" / SAMPLE_CSV
    with pytest.raises(FileNotFoundError, match="no-such-file"):
        _frozen.resource_path("no-such-file")


def test_resource_path_prefers_the_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "resources").mkdir()
    (tmp_path / "resources" / SAMPLE_CSV).write_text("email\n")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert _frozen.resource_path(SAMPLE_CSV) == tmp_path / "resources" / SAMPLE_CSV


def test_self_command_source_and_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _frozen.self_command() == [sys.executable, "-m", "contact360_desktop"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert _frozen.self_command() == [sys.executable]


def test_clean_child_env_outside_the_bundle_is_a_copy() -> None:
    env = {"LD_LIBRARY_PATH": "/opt/x", "PATH": "/bin"}
    assert _frozen.clean_child_env(env) == env
    assert _frozen.clean_child_env(env) is not env


def test_clean_child_env_in_the_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", "/opt/contact360/_internal", raising=False)
    env = {
        "PATH": "/usr/bin",
        "LD_LIBRARY_PATH": "/opt/contact360/_internal",
        "LD_LIBRARY_PATH_ORIG": "/usr/local/lib",
        "QT_PLUGIN_PATH": "/opt/contact360/_internal/PySide6/Qt/plugins",
    }
    cleaned = _frozen.clean_child_env(env)
    assert cleaned == {"PATH": "/usr/bin", "LD_LIBRARY_PATH": "/usr/local/lib"}
    # No value before the bundle started: the variable goes away entirely.
    assert "LD_LIBRARY_PATH" not in _frozen.clean_child_env({"LD_LIBRARY_PATH": "/opt/contact360/_internal"})
    # The caller's env is not modified.
    assert env["LD_LIBRARY_PATH"] == "/opt/contact360/_internal"
