"""Linear algebra by gradient descent with PyTorch."""

__version__ = "0.1.0"
