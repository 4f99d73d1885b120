"""Leaderboard specs, shipped as the package data pluralbench.leaderboard_specs."""
