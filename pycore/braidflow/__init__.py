"""braidflow: workflows for data scientists in Python and R."""

__version__ = "0.1.0"
