"""The guided tour behind ``clinigate demo``: each capability adds a step."""

from .step import Step
from .tour import bundled_registry, run_tour

__all__ = ["Step", "bundled_registry", "run_tour"]
