"""Optional parts of clinigate: ``pip install clinigate`` is the light core (validate, check,
verify, approve, audit questions); MLflow and the report charts are extras, imported on first use.

A command that needs a missing extra stops with exit 3 naming the one to install, instead of an
``ImportError`` traceback.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ..errors import EnvironmentProblem

# module → the extra that installs it
EXTRA_OF = {"mlflow": "mlflow", "model_signing": "mlflow", "matplotlib": "reports", "jinja2": "reports",
            "numpy": "evidence", "pyarrow": "evidence"}


class MissingExtra(EnvironmentProblem):
    """A command needs a part of clinigate that is not installed."""


def require(module: str, purpose: str) -> ModuleType:
    """``module`` imported, or MissingExtra saying which extra brings it (``purpose``: for what)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        extra = EXTRA_OF.get(module, module)
        raise MissingExtra(f"{purpose} needs {module}, which this installation of clinigate lacks",
                           hint=f"pip install 'clinigate[{extra}]' (the light core has validate, check, "
                                "verify and approve)") from None
