"""Experiments on Kokoro-82M: runs to disk, directions over voice sets, steering, patching, the mission."""
