"""The support lead's loop: blind A/B review of saved eval answers, human-vs-judge agreement, preference data."""
