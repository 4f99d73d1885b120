"""Task families register themselves on import."""
from pluralbench.families import multiple_choice_distribution  # noqa: F401
from pluralbench.families import distributional_mpi, steerable_distribution, steerable_valence  # noqa: F401
from pluralbench.families import jury_choice, jury_distribution, tradeoff_steering  # noqa: F401
from pluralbench.families import overton_coverage  # noqa: F401
