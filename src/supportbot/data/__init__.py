"""Data stage: read support data in common formats, validate, clean, deduplicate, split, render."""
