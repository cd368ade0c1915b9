"""The guided tour behind ``clinigate demo``: each capability adds a step."""

from .tour import Step, bundled_registry, run_tour

__all__ = ["Step", "bundled_registry", "run_tour"]
