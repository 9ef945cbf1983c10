"""Every CLI option shared by more than one command, declared once (typer `Annotated` aliases).

Commands import this module as `opt` and annotate parameters with `opt.ModelOption`, `opt.TextOption`, ...;
the groups below are what a command takes together. Nothing heavy is imported here, so `--help` stays fast.

- model:   ModelOption, DeviceOption, DtypeOption
- output:  OutOption, SeedOption, OnStaleOption, JsonOption
- prompt (Qwen3-TTS): TextOption, InstructOption, SpeakerOption, RefAudioOption, RefTextOption, LanguageOption
- decoding: GreedyOption, MaxFramesOption
- selection: LayersOption, SegmentsOption, FramesOption, CodesOption
- denoisers: TextsOption, SpeakerIndexOption, StepsOption, SiteOption, TRangeOption
- features (Whisper encoder): EncoderSiteOption, CorpusOption, BatchOption, SaeOption, UnitsOption,
  EncoderFramesOption
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

# model
ModelOption = Annotated[str, typer.Option("--model", "-m", help="built-in id (`tts-interp models`), local checkpoint "
                                                                 "dir or hub id")]
DeviceOption = Annotated[str, typer.Option("--device", help="auto | cpu | cuda")]
DtypeOption = Annotated[str, typer.Option("--dtype", help="float32 | bfloat16")]

# output
OutOption = Annotated[Path, typer.Option("--out", help="output directory (result.json is written there)")]
SeedOption = Annotated[int, typer.Option("--seed", help="random seed (same seed + inputs = same codes)")]
JsonOption = Annotated[bool, typer.Option("--json", help="print the table as JSON on stdout (what result.json "
                                                            "holds for it) instead of text")]
OnStaleOption = Annotated[str, typer.Option("--on-stale", help="a finished cell in --out made under another "
                                                               "configuration: recompute (and say so) | refuse")]

# prompt
TextOption = Annotated[str, typer.Option("--text", "-t", help="the words to speak")]
InstructOption = Annotated[str | None, typer.Option("--instruct", help="style/voice description (VoiceDesign, "
                                                                        "CustomVoice 1.7B)")]
SpeakerOption = Annotated[str | None, typer.Option("--speaker", "--voice", help="named speaker (CustomVoice); "
                                                                                   "Kokoro: a voice or a mix")]
RefAudioOption = Annotated[Path | None, typer.Option("--ref-audio", help="reference clip to clone (Qwen3-TTS Base, "
                                                                          "F5-TTS)")]
RefTextOption = Annotated[str | None, typer.Option("--ref-text", help="transcript of --ref-audio (Qwen3-TTS Base: "
                                                                      "in-context cloning, omit for x-vector only)")]
LanguageOption = Annotated[str, typer.Option("--language", help="auto, english, chinese, ...; Kokoro: auto (the "
                                                                "voice's own; English text in a voice of another "
                                                                "language: en-us, accent kept), en-us, en-gb")]

# decoding
GreedyOption = Annotated[bool, typer.Option("--greedy", help="no sampling in talker and code predictor")]
MaxFramesOption = Annotated[int, typer.Option("--max-new-tokens", help="most frames to generate (Qwen3-TTS: codec "
                                                                       "frames, 12.5 per s; Kokoro: not used, its "
                                                                       "length comes from the predicted durations)")]

# selection
CodesOption = Annotated[Path | None, typer.Option("--codes", help="codes.npy to teacher-force (default: greedy "
                                                                  "generation of the prompt)")]
LayersOption = Annotated[str | None, typer.Option("--layers", help="talker layers: 0,2,5 or 0:4 (default: all)")]
SegmentsOption = Annotated[str | None, typer.Option("--segments", help="prompt segments, comma-separated "
                                                                       "(instruct, role, text, frames, ...)")]
FramesOption = Annotated[str | None, typer.Option("--frames", help="frames a:b (Qwen3-TTS: codec frames, 12.5 per "
                                                                   "s, at the positions predicting them; Kokoro: "
                                                                   "acoustic frames, 40 per s, after duration "
                                                                   "expansion)")]

# denoisers
TextsOption = Annotated[list[str] | None, typer.Option("--text", "-t", help="words to speak (repeat for several)")]
SpeakerIndexOption = Annotated[int | None, typer.Option("--speaker", help="speaker index (multi-speaker Grad-TTS)")]
StepsOption = Annotated[int, typer.Option("--steps", help="solver steps")]
SiteOption = Annotated[str, typer.Option("--site", help="denoiser.hspace (default), denoiser.down.0, "
                                                        "denoiser.block.3.out, speaker_embedding (the baseline), ...")]
TRangeOption = Annotated[str | None, typer.Option("--t-range", help="edit only steps with t in a:b (0 <= a <= b <= 1; "
                                                                    "Grad-TTS noise is t=1, F5-TTS noise t=0)")]

# features (Whisper encoder)
EncoderSiteOption = Annotated[str, typer.Option("--site", help="encoder.layer.{i}.mlp.act | .mlp_out | .attn_out | "
                                                               ".resid_out | encoder.out")]
CorpusOption = Annotated[str, typer.Option("--data", help="espeak[:N] | espeak-long[:N] | nonspeech[:N] | A+B | "
                                                          "a manifest or folder")]
BatchOption = Annotated[int, typer.Option("--batch-size", help="clips per encoder pass")]
SaeOption = Annotated[Path | None, typer.Option("--sae", help="a saved SAE directory: units are its features")]
UnitsOption = Annotated[str, typer.Option("--units", help="unit indices, comma-separated")]
EncoderFramesOption = Annotated[str | None, typer.Option("--frames", help="encoder frames START:STOP (20 ms); "
                                                                          "default every real frame")]
