"""Suites: a YAML file -> work items with stable ids -> append-only results, resumable and shardable."""
