"""Speech to text and back: the offline Whisper transcriber, live (streaming) transcription,
the roleplay buyer's voice and word error rate."""
