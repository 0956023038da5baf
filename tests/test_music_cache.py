"""The intro and outro are decoded once per file version and shared, read-only, by every render
of a process (a season prepares each episode with the same music; the studio renders on threads)."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest
import soundfile as sf

from audio_pipeline.audio.assets import load_music


def _write(path, freq: float, rate: int = 48_000) -> None:
    t = np.arange(rate // 2) / rate
    sf.write(path, (0.2 * np.sin(2 * np.pi * freq * t)).astype(np.float32), rate, format="FLAC")


def test_music_is_decoded_once_shared_read_only_and_again_when_the_file_changes(tmp_path):
    _write(tmp_path / "intro.flac", 220)
    first = load_music("intro.flac", 44_100, tmp_path)
    assert first is load_music("intro.flac", 44_100, tmp_path)
    with pytest.raises(ValueError):
        first[0] = 1.0  # no render can change what the next one is given
    assert load_music("intro.flac", 24_000, tmp_path).size == 12_000  # another rate, its own copy
    _write(tmp_path / "intro.flac", 440)
    st = (tmp_path / "intro.flac").stat()
    os.utime(tmp_path / "intro.flac", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    second = load_music("intro.flac", 44_100, tmp_path)
    assert second is not first and not np.allclose(second, first)


def test_threads_loading_the_same_music_at_once_get_one_array(tmp_path):
    _write(tmp_path / "outro.flac", 330)
    got: list[np.ndarray] = []
    start = threading.Barrier(8)

    def load() -> None:
        start.wait()
        got.append(load_music("outro.flac", 44_100, tmp_path))

    threads = [threading.Thread(target=load) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8 and all(a is got[0] for a in got)
