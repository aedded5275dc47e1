"""Division Bell: rings when something happens in Westminster."""

__version__ = "0.1.0"
USER_AGENT = f"DivisionBell/{__version__} (+https://github.com/division-bell/division-bell)"
