"""unsuplab: a desktop visual lab for unsupervised deep learning."""

__version__ = "0.1.0"
