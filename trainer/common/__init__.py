"""The ground floor: errors with one-sentence messages, where files live, settings, text
normalisation and number formatting. Imports nothing else of the trainer."""
