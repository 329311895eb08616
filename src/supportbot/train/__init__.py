"""Training stage: LoRA/QLoRA fine-tuning with reproducible run directories."""
