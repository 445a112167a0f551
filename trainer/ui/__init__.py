"""The desktop app, the only package that imports PySide6: the shell and its navigation, the
home screen, one folder of screens per person who uses the app (seller, manager, team), the
widgets they share and the one visual language (``style.py``)."""
