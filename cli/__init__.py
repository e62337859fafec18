"""The `kyodo` command: the one entry point for operators, the demo and scripts."""
