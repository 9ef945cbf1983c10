"""The names of the scorers, in a module with no imports, so the CLI can list them without loading numpy.

Item scorers score one clip each (a row per clip); set scorers score a set of clips together (an attacker
enrols on some clips and tries others) after the items are scored, grouped by condition."""

SCORERS = ("speaker", "asr", "prosody")
SET_SCORERS = ("attackers",)
ALL_SCORERS = SCORERS + SET_SCORERS
