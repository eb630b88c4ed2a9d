"""shg-check: checks multi-agency responses to possible self-harm groups against the chapter."""

__version__ = "0.1.0"
