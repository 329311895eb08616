"""What every stage shares: config base, errors, models, artifacts, suites, prompt layout, decoding."""

__version__ = "0.1.0"
