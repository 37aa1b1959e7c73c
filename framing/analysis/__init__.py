"""Scores to comparisons: statistics, events, plots (compute and draw kept apart).

``statistics`` (outlet tables, bootstrap intervals, pairwise tests, Benjamini-Hochberg),
``frames`` (frame shares), ``terms`` (distinguishing terms), ``events`` (grouping articles into
events, stance within an event), ``disagreement`` (lexicon versus model), ``embeddings`` (the
encoder for events) and ``plots`` (figures from those tables); ``tidy`` holds their shared checks.
"""
