"""Models: `Sequential` and the `Model` base that trains it."""

from ..saving import load_model
from .model import Model
from .sequential import Sequential

__all__ = ["Model", "Sequential", "load_model"]
