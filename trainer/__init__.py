"""Sales practice trainer: offline roleplay drills, transcription and rubric scoring."""
