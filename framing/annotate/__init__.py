"""Coding by hand: sample, export, import, agreement, adjudication."""
