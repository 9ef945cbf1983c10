# %% [markdown]
# # tts-interp from Python: the same calls for every model family
#
# Kokoro-82M (real, trained weights), a tiny random Qwen3-TTS and a tiny random Grad-TTS (these two prove the
# machinery only) go through one API: load, list sites, generate with `reads=`, make a direction from runs,
# steer with `edits=`, score with the eval harness. Run it as a script (`python examples/walkthrough.py`) or
# open it as a notebook (percent format). Everything runs offline on CPU.

# %%
from pathlib import Path

import numpy as np

import tts_interp as ti

OUT = Path("runs/walkthrough")

# %% [markdown]
# ## One call per step, whatever the family

# %%
models = {}
for model_id, prompt in [("kokoro-82m", dict(voice="af_heart", language="en-us")),
                         ("tiny-qwen3-tts-voicedesign", dict(instruct="A calm low voice.", max_new_tokens=20)),
                         ("tiny-grad-tts", {})]:
    model = models[model_id] = ti.load(model_id, device="cpu")
    site = model.sites()[0]
    plain = model.generate("Hello there.", seed=0, reads=[site], **prompt)
    assert plain.audio.ndim == 1 and plain.sample_rate > 0 and site in plain.activations
    print(f"{model_id}: {model.family}, can {sorted(model.capabilities)}; {site} read "
          f"{tuple(plain.activations[site].values.shape)}; {len(plain.audio) / plain.sample_rate:.2f} s of audio")
    plain.save(OUT / model_id)  # exactly what `tts-interp generate` writes

# %% [markdown]
# ## A direction on real weights, and a steered run
#
# Two female and two male American voices say one text; the direction is the difference of their mean rows at
# `decoder.decode.3`. af_heart (not in either set) is steered along it; alpha 0 is the plain run, bit for bit.

# %%
kokoro = models["kokoro-82m"]
SITE, TEXT = "decoder.decode.3", "The weather was calm today."
female = [kokoro.generate(TEXT, voice=v, reads=[SITE]) for v in ("af_bella", "af_nicole")]
male = [kokoro.generate(TEXT, voice=v, reads=[SITE]) for v in ("am_adam", "am_michael")]
to_male = ti.Direction.mean_diff(male, female, site=SITE)
to_male.save(OUT / "to_male.safetensors")
print("fitted on", to_male.info["fit"])

said = "She sells fresh bread at the market."
plain = kokoro.generate(said, voice="af_heart")
unchanged = kokoro.generate(said, voice="af_heart", edits=[ti.Steer(to_male, alpha=0.0)])
steered = kokoro.generate(said, voice="af_heart", edits=[ti.Steer(to_male, alpha=2.0)])
assert np.array_equal(unchanged.audio, plain.audio)

# %% [markdown]
# ## Score: the words (WER by Whisper tiny.en) and the voice (similarity to the plain run)

# %%
scores = ti.score([plain, steered], scorers=["speaker", "asr"], reference=plain, out=OUT / "scores")
for run_row in scores.rows:
    print(run_row["id"], "WER", run_row["wer"], "similarity to plain", round(run_row["similarity"], 3))
print("corpus WER", scores["wer_corpus"])
