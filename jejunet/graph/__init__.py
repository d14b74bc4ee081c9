"""Pipelines: YAML spec → validated networkx graph → scheduled run."""
