"""forge-monitoring: the Python side of the toolkit (lab orchestration, CLI)."""

__version__ = "0.1.0"
