"""Experiments: family-neutral ones at this level, family-only ones in talker/, codebooks/ and hspace/."""
