"""Sound in and out: the PortAudio device, the recorder and its crash-safe WAV files,
playback, the microphone check and prosody (pitch, loudness, pauses). Never imports Qt;
the audio callback only copies samples."""
