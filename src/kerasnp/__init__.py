"""kerasnp: the Keras API on NumPy."""

__version__ = "0.1.0"
