"""The public API, the same calls for every model family; `import tts_interp as ti` gives its names lazily.

- `model.py`: `load(model)` -> `Model`: `family`, `capabilities`, `sites()`, `voices()`, `generate(text, reads=,
  edits=, **fields)`, `run(request, settings, ...)`;
- `run.py`: `Run`: `audio`, `sample_rate`, `activations`, `save(dir)`;
- `directions.py`: `Direction.mean_diff / probe / pca` from Runs, saved and loaded in the one direction format;
- `edits.py`: `Steer`, `Ablate`, `Erase`; `scoring.py`: `score(runs, scorers, reference=, source=, target=)`;
- `mission.py`: the Kokoro mission (a direction, steering beside the style vector, scored);
- `sae_experiment.py`: `features sae` (shards, an SAE, held-out FVE beside PCA, faithfulness in transcription,
  its features' top snippets), which scores with `evals`.
"""
