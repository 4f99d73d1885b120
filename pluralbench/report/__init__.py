"""Reports built from finished runs: leaderboards (Pareto layers, re-ranking), pre/post comparisons."""
