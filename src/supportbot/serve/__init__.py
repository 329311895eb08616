"""Serving stage: generation engine, FastAPI app, auth, limits."""
