"""Scores to comparisons: statistics, events, plots (compute and draw kept apart)."""
