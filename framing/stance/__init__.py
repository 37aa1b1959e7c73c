"""Mentions to scores: the lexicon rule, lexicon features, the hybrid model, its training, the one Scorer."""
