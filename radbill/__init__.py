"""radbill: AAA and billing for internet service providers (the shared kernel)."""

__version__ = "0.1.0"
