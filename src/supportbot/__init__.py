"""supportbot: turn a small open LLM into a local, controllable customer-support assistant."""

from supportbot.core import __version__

__all__ = ["__version__", "load"]


def load(reference: str, **kwargs):
    """Load a model by any reference: base-model preset, `registry:name@version`, run dir, HF id or path."""
    from supportbot.core.models import load_model

    return load_model(reference, **kwargs)
