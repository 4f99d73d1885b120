"""Option labels: the letters a multiple-choice prompt lists its answers under."""

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
