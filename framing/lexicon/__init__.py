"""Versioned lexicon folders, their importers and the matcher."""
