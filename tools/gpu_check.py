#!/usr/bin/env python3
"""GPU check: the coqui engine renders on CUDA, and how fast.

Builds a tiny VITS and a tiny XTTS v2 on the spot (a GPU machine may have no way to
download a model), renders a multi-sentence text with each through the coqui engine on
CUDA, and prints the real-time factor: compute seconds per second of audio. VITS is timed
one sentence at a time and in padded batches. Exits 1 when CUDA was not used.

The tiny models have the real architectures at a fraction of the width (XTTS keeps its
full-size HiFi-GAN decoder), so the numbers measure the engine's plumbing on the GPU —
batching, transfers, per-sentence overhead — not the speed of a production voice.

    python tools/gpu_check.py              # on the GPU machine
    python tools/gpu_check.py --allow-cpu  # rehearse it where there is no GPU
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TEXT = """\
Hey PaperLedge crew, Ernis here, and today we are listening to the ocean.
Researchers dropped microphones deep below the waves and simply let them record.
What they heard was not silence at all.
Whales sang across hundreds of kilometres, and shrimp crackled like a campfire.
So why does this matter for the rest of us?
Because sound is how the sea keeps its own diary, and we are only now learning to read it.
The team trained a model to pick out each voice in that noisy chorus.
It works a little like recognising a friend's laugh across a crowded room.
Of course, there are open questions, and we will get to those in a moment.
For now, take a breath, and imagine the deep, humming blue.
"""


def sentences(repeat: int) -> list[str]:
    lines = [line.strip() for line in TEXT.splitlines() if line.strip()]
    return lines * repeat


def timed_render(engine, texts: list[str], torch) -> tuple[float, float]:
    """(compute seconds, audio seconds) of one synthesize_batch over `texts`."""
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    start = time.perf_counter()
    waves = engine.synthesize_batch(texts)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    compute = time.perf_counter() - start
    for wave in waves:
        if wave.size == 0 or not (abs(wave).max() > 0) or not wave.dtype.name == "float32":
            raise SystemExit(f"bad audio from {engine.settings.model}: {wave.dtype} {wave.shape}")
    return compute, sum(w.size for w in waves) / engine.sample_rate


def model_device(engine) -> str:
    parameter = next(engine._tts.parameters())
    return str(parameter.device)


def full_render(model_folder: Path, device: str, folder: Path):
    """The sample episode through the whole pipeline (`paperledge render`) with the tiny VITS."""

    from audio_pipeline.render import RenderOptions, render

    try:
        from audio_pipeline.audio.ffmpeg import ffmpeg_exe

        ffmpeg_exe()
    except Exception as e:  # no ffmpeg on this machine: the engine rows above still stand
        print(f"full render skipped: {e}")
        return None
    profile = folder / "tiny-vits.toml"
    profile.write_text(f'name = "tiny"\n[engine]\nname = "coqui"\nmodel = "{model_folder}"\n', encoding="utf-8")
    script = Path(__file__).resolve().parents[1] / "scripts" / "season-01" / "01-listening-to-the-ocean.md"
    options = RenderOptions(voice=str(profile), output=folder / "episode.mp3", cache_dir=None, jobs=1, device=device)
    start = time.perf_counter()
    result = render(script, options)
    wall = time.perf_counter() - start
    print(
        f"full render of {script.name} on {device}: {wall:.2f} s for {result.duration:.1f} s of episode, "
        f"{result.loudness.integrated_lufs} LUFS, true peak {result.loudness.true_peak_dbtp} dBTP, "
        f"{result.chapters} chapters, synthesis {result.timings['synthesis']:.2f} s"
    )
    return ("render (whole pipeline, tiny VITS)", wall, result.duration, device)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--allow-cpu", action="store_true", help="run on CPU where there is no GPU; exit 0")
    parser.add_argument("--repeat", type=int, default=4, help="times the 10-sentence text is rendered with VITS")
    parser.add_argument("--xtts-sentences", type=int, default=8, help="sentences rendered with XTTS (0 skips it)")
    args = parser.parse_args()

    import numpy as np
    import soundfile
    import torch

    from audio_pipeline.synthesis.engines.base import create_engine
    from audio_pipeline.synthesis.engines.tiny_models import build_tiny_vits, build_tiny_xtts

    cuda = torch.cuda.is_available()
    print(f"torch {torch.__version__}, CUDA build {torch.version.cuda}, CUDA available: {cuda}")
    if cuda:
        props = torch.cuda.get_device_properties(0)
        print(f"CUDA device 0: {props.name}, {props.total_memory / 2**30:.0f} GiB, capability {props.major}.{props.minor}")
    elif not args.allow_cpu:
        print("FAIL: PyTorch sees no CUDA GPU")
        return 1
    device = "cuda" if cuda else "cpu"
    texts = sentences(args.repeat)
    rows: list[tuple[str, float, float, str]] = []

    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        vits_folder = build_tiny_vits(folder / "tiny-vits")
        print(f"tiny VITS built in {time.perf_counter() - start:.2f} s")

        for batch_size in (1, 16):
            engine = create_engine("coqui", {"model": str(vits_folder), "device": device, "batch_size": batch_size})
            timed_render(engine, texts[:2], torch)  # load, CUDA context, kernel selection
            compute, audio = timed_render(engine, texts, torch)
            rows.append((f"VITS, batch {batch_size}", compute, audio, model_device(engine)))

        if args.xtts_sentences > 0:
            start = time.perf_counter()
            xtts_folder = build_tiny_xtts(folder / "tiny-xtts")
            print(f"tiny XTTS built in {time.perf_counter() - start:.2f} s")
            rate = 22050
            t = np.arange(6 * rate) / rate
            reference = folder / "reference.wav"
            wave = 0.3 * np.sin(2 * np.pi * 140 * t) * (1 + 0.5 * np.sin(2 * np.pi * 4 * t))
            soundfile.write(reference, wave.astype(np.float32), rate)
            engine = create_engine(
                "coqui",
                {"model": str(xtts_folder), "device": device, "speaker_wav": str(reference), "language": "en"},
            )
            timed_render(engine, texts[:1], torch)
            compute, audio = timed_render(engine, texts[: args.xtts_sentences], torch)
            rows.append(("XTTS v2 (1-layer GPT), per sentence", compute, audio, model_device(engine)))

        render_row = full_render(vits_folder, device, folder)
        if render_row:
            rows.append(render_row)

    print(f"\n{'engine':38} {'sentences':>9} {'compute s':>10} {'audio s':>8} {'RTF':>7}  device")
    for label, compute, audio, where in rows:
        count = args.xtts_sentences if label.startswith("XTTS") else (0 if label.startswith("render") else len(texts))
        print(f"{label:38} {count:>9} {compute:>10.3f} {audio:>8.1f} {compute / audio:>7.4f}  {where}")
    if cuda:
        print(f"peak CUDA memory: {torch.cuda.max_memory_allocated() / 2**20:.0f} MiB")
    on_cuda = all(where.startswith("cuda") for *_, where in rows)
    if on_cuda:
        print("OK: every render ran on CUDA")
        return 0
    if args.allow_cpu and not cuda:
        print("rehearsal on CPU: no GPU here, nothing checked about CUDA")
        return 0
    print("FAIL: some renders did not run on CUDA")
    return 1


if __name__ == "__main__":
    sys.exit(main())
