"""The meter's and the limiter's numpy filters against the libraries they stand in for
(scipy.signal, scipy.ndimage and pyloudnorm, kept as references here: a render no longer
imports them)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyloudnorm
import pytest
import scipy.ndimage as ndimage
import scipy.signal as signal
from hypothesis import given, settings
from hypothesis import strategies as st

from audio_pipeline.audio.filters import KWeighting, biquad, moving_average, running_minimum

from .conftest import ROOT


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 24000, 44100, 48000])
def test_k_weighting_is_pyloudnorms_filter_to_double_precision_in_blocks_of_any_size(rate):
    meter = pyloudnorm.Meter(rate)
    designs = [biquad(4.0, 1 / np.sqrt(2), 1500.0, rate, "high_shelf"), biquad(0.0, 0.5, 38.0, rate, "high_pass")]
    for theirs, (b, a) in zip(meter._filters.values(), designs):
        assert np.allclose(theirs.b, b, rtol=1e-13, atol=0) and np.allclose(theirs.a, a, rtol=1e-13, atol=0)
        assert theirs.passband_gain == 1.0
    x = np.random.default_rng(rate).standard_normal(rate * 3)
    reference = x
    for f in meter._filters.values():
        reference = signal.lfilter(f.b, f.a, reference)
    weigh = KWeighting(rate)
    # Blocks shorter than the response, one sample, and longer than an FFT segment.
    cuts = np.cumsum([1, 7, 100, rate // 3, 5, rate * 2])
    ours = np.concatenate([weigh(part) for part in np.split(x, cuts)])
    assert ours.size == x.size
    assert np.max(np.abs(ours - reference)) < 1e-10 * np.max(np.abs(reference))


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(st.floats(-1e6, 1e6, width=32), min_size=1, max_size=300), size=st.integers(1, 400), shift=st.integers(0, 399)
)
def test_moving_average_and_running_minimum_are_scipys(values, size, shift):
    x = np.array(values, dtype=np.float32)
    origin = shift % size - size // 2  # every placement scipy accepts
    assert np.array_equal(running_minimum(x, size, origin), ndimage.minimum_filter1d(x, size, origin=origin, mode="nearest"))
    ours, theirs = moving_average(x, size, origin), ndimage.uniform_filter1d(x, size, origin=origin, mode="nearest")
    assert ours.dtype == theirs.dtype == np.float32
    assert np.allclose(ours, theirs, rtol=1e-5, atol=1e-6 * max(1.0, float(np.max(np.abs(x)))))


@pytest.mark.parametrize("size, origin", [(4, 3), (4, -3), (1, 1), (0, 0), (-2, 0)])
@pytest.mark.parametrize("length", [0, 10])
def test_a_window_outside_itself_is_refused(size, origin, length):
    for f in (running_minimum, moving_average):
        with pytest.raises(ValueError):
            f(np.zeros(length, dtype=np.float32), size, origin)


def test_a_render_imports_neither_scipy_signal_nor_scipy_ndimage(tmp_path):
    # Together three quarters of a second of CPU, taken from synthesis on every render.
    script = tmp_path / "ep.md"
    script.write_text("---\ntitle: Light\nvoice: heart\n---\n\nOne short sentence. And then a second one.\n", encoding="utf-8")
    code = (
        "import sys\nfrom pathlib import Path\nfrom audio_pipeline.render import RenderOptions, render\n"
        f"render(Path({str(script)!r}), RenderOptions(output=Path({str(tmp_path / 'ep.mp3')!r}), cache_dir=None, jobs=1))\n"
        "print(sorted(m for m in ('scipy.signal', 'scipy.ndimage', 'pyloudnorm') if m in sys.modules))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr[-800:]
    assert run.stdout.strip().splitlines()[-1] == "[]"
