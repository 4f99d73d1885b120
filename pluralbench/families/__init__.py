"""Task families register themselves on import."""
from pluralbench.families import (  # noqa: F401  # noqa: F401
    dilemma_actions,
    dilemma_principles,
    distributional_mpi,
    jury_choice,
    jury_distribution,
    multiple_choice_distribution,  # noqa: F401
    overton_coverage,  # noqa: F401
    steerable_distribution,
    steerable_valence,
    tradeoff_steering,
    value_recognition,
)
