"""Grounded troubleshooting: request/response contract, grounded prompts and schema-enforced generation."""
