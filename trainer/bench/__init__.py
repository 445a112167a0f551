"""Benchmarks that print numbers (``uv run python -m trainer.bench ...``): speed, memory and
accuracy are measured here, never asserted in timed tests."""
