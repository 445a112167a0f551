"""Qt widgets and thin adapters for the trainer (the only package that imports PySide6)."""
