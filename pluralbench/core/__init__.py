"""The bottom layer: records shared by every other package; imports nothing of pluralbench but errors and hashing."""
