"""Running from source, an installed package or a PyInstaller bundle: the differences in one place.

- :func:`is_frozen` — True inside the PyInstaller bundle (``sys.frozen``).
- :func:`resource_path` — a file under the top-level ``resources/`` folder (icons, sample CSVs,
  the .desktop template), wherever the app runs from.
- :func:`self_command` — the argv prefix that starts this application again, e.g.
  ``self_command() + ["worker", "--queues", "imports"]``. Frozen, that is the bundle's executable
  (which understands the sub-commands itself); from source, ``python -m contact360_desktop``.
- :func:`clean_child_env` — the environment for launching *system* programs (file manager,
  ``xdg-open``, a browser) from the bundle: PyInstaller points ``LD_LIBRARY_PATH`` at the bundle's
  own libraries, which must not leak into programs that were built against the system's.

Pure standard library: every layer may use it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = [
    "is_frozen",
    "bundle_dir",
    "resources_dir",
    "resource_path",
    "self_command",
    "clean_child_env",
    "LIBRARY_PATH_VARS",
]

_PACKAGE_DIR = Path(__file__).resolve().parent

# Variables PyInstaller's bootloader (and Qt's) rewrite for the bundle; on exec of a system program the
# value the user had before the bundle started must come back (PyInstaller saves it as <NAME>_ORIG).
LIBRARY_PATH_VARS = ("LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH", "DYLD_FRAMEWORK_PATH", "LIBPATH")
# Qt variables the bundle may set for itself; a system Qt program must not inherit them.
_BUNDLE_ONLY_VARS = (
    "QT_PLUGIN_PATH",
    "QT_QPA_PLATFORM_PLUGIN_PATH",
    "QML2_IMPORT_PATH",
    "QTWEBENGINEPROCESS_PATH",
)


def is_frozen() -> bool:
    """True when running from the PyInstaller bundle."""
    return bool(getattr(sys, "frozen", False))


def bundle_dir() -> Path | None:
    """The bundle's data folder (``sys._MEIPASS``, the ``_internal`` folder of a onedir build)."""
    meipass = getattr(sys, "_MEIPASS", None)
    return Path(meipass) if meipass else None


def _resource_roots() -> list[Path]:
    roots: list[Path] = []
    bundled = bundle_dir()
    if bundled is not None:
        roots.append(bundled / "resources")
    roots += [
        _PACKAGE_DIR.parent / "resources",  # source checkout / editable install: <repo>/resources
        _PACKAGE_DIR / "resources",  # installed wheel with resources as package data
        Path(sys.prefix) / "share" / "contact360" / "resources",  # data_files installs
    ]
    return roots


def resources_dir() -> Path:
    """The ``resources/`` folder in use (the first candidate that exists)."""
    for root in _resource_roots():
        if root.is_dir():
            return root
    tried = ", ".join(str(r) for r in _resource_roots())
    raise FileNotFoundError(f"Contact360 resources folder not found (looked in {tried})")


def resource_path(*parts: str) -> Path:
    """Path of a file in ``resources/``, e.g. ``resource_path("icons", "contact360.svg")``.

    Raises FileNotFoundError naming every place looked at if the file is in none of them.
    """
    for root in _resource_roots():
        candidate = root.joinpath(*parts)
        if candidate.exists():
            return candidate
    tried = ", ".join(str(r.joinpath(*parts)) for r in _resource_roots())
    raise FileNotFoundError(f"Contact360 resource not found: {'/'.join(parts)} (looked in {tried})")


def self_command() -> list[str]:
    """argv prefix that runs this app again; append a sub-command such as ``["worker", ...]``.

    Frozen: the bundle's executable itself (its entry calls ``multiprocessing.freeze_support()`` and
    dispatches sub-commands). From source: the running interpreter with ``-m contact360_desktop``.
    """
    if is_frozen():
        return [sys.executable]
    return [sys.executable, "-m", "contact360_desktop"]


def clean_child_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of ``env`` (default ``os.environ``) fit for launching a program of the host system.

    In the bundle, library search paths get back the value they had before the bundle started
    (``<VAR>_ORIG``, saved by PyInstaller's bootloader) or are removed when there was none, and the
    bundle's Qt plugin paths are dropped. Outside the bundle the environment is returned unchanged
    (as a copy), so callers can use this unconditionally.
    """
    result = dict(os.environ if env is None else env)
    if not is_frozen():
        return result
    for var in LIBRARY_PATH_VARS:
        original = result.pop(f"{var}_ORIG", None)
        if original:
            result[var] = original
        else:
            result.pop(var, None)
    bundled = bundle_dir()
    for var in _BUNDLE_ONLY_VARS:
        value = result.get(var)
        if value is not None and (bundled is None or str(bundled) in value):
            result.pop(var, None)
    return result
