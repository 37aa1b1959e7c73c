"""Experiment configs, run folders and caching, the pipeline, streaming, Dask, paper figures."""
