"""Errors the toolkit raises on purpose. The CLI prints their message, never a traceback."""

from __future__ import annotations


class FramingError(Exception):
    """Base class: a problem with the user's input, data or settings, explained in the message."""


class ConfigError(FramingError, ValueError):
    """A setting, option or column map is wrong; the message names it and the accepted values."""


class DataError(FramingError, ValueError):
    """An input file or data folder cannot be used; the message names the file (and line)."""
