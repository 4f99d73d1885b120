"""pluralbench: measure how pluralistic a language model is (Overton, steerable, distributional)."""

__version__ = "0.1.0"
