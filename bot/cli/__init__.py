"""The command line: the entry point and the one-shot commands (backup, demo, eval, …)."""
