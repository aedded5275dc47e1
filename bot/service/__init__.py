"""The long-running service around `run`: scheduler, health, HTTP server, metrics, ops notices."""
