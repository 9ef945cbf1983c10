"""The mission's default site and strengths, in a module light enough for the CLI's option defaults.

In Kokoro-82M the voice moves from `decoder.decode.3` on while speech survives (identity shift +0.58 at alpha 4,
WER 0, n = 3 texts); edits at `decoder.encode` change the audio but not the voice (AdaIN re-reads the style), and
at `decoder.generator.conv_post` alpha >= 1 clips the waveform.
"""

MISSION_SITE = "decoder.decode.3"
MISSION_ALPHAS = (0.5, 1.0, 2.0, 4.0)
