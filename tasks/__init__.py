"""Built-in task files, shipped as the package data pluralbench.task_files."""
