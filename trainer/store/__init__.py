"""Where takes live: the SQLite store and its schema, the data folder, takes still being
recorded, and the privacy commands (export, forget)."""
