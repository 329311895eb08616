"""supportbot: turn a small open LLM into a local, controllable customer-support assistant."""

__version__ = "0.1.0"


def load(reference: str, **kwargs):
    """Load a model by any reference: registry name, `registry:name@version`, run dir, HF id or path."""
    from supportbot.models import load_model

    return load_model(reference, **kwargs)
