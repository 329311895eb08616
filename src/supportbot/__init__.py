"""supportbot: turn a small open LLM into a local, controllable customer-support assistant."""

__version__ = "0.1.0"
