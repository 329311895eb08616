"""The serve routes, one module per API: health, /generate, OpenAI-compatible, troubleshoot, feedback, admin.

Each module's `router(svc)` returns a FastAPI router whose handlers close over the shared Service.
"""
