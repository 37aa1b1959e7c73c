"""framing: stance toward target actors and frames in multi-outlet, multilingual news corpora."""

__version__ = "0.1.0"
