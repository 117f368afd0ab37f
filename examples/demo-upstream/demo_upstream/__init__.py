"""demo-upstream: a tiny model-serving stand-in with record/replay (see README.md)."""

__version__ = "0.0.0"  # replaced in each built wheel
