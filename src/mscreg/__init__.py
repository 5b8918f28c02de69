"""mscreg: registry and analysis of long-term outcomes of MSC infusions in type 2 diabetes."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mscreg")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
