"""Task families register themselves on import."""
from pluralbench.families import multiple_choice_distribution  # noqa: F401
from pluralbench.families import overton_coverage  # noqa: F401
