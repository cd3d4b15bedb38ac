"""Contact360 Desktop: import, clean and export contact and company lists."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("contact360-desktop")
except PackageNotFoundError:  # running from a source tree or a frozen bundle without metadata
    __version__ = "0.1.0"

__all__ = ["__version__"]
