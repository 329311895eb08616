"""Evaluation stage: answer a question suite with tuned and base models, judge, report."""
