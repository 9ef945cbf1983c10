"""The names of the scorers, in a module with no imports, so the CLI can list them without loading numpy."""

SCORERS = ("speaker", "asr", "prosody")
