"""Content Credentials (C2PA): a signed manifest that says the file is made by a machine.

The manifest is the last thing written into a file: its hash binding covers every other
byte, tags included, so a changed byte anywhere outside the manifest shows as tampering.
What it records (EU AI Act Art. 50(2): machine-readable, detectable as generated):
- a `c2pa.created` action whose digitalSourceType is trainedAlgorithmicMedia, with
  paperledge as its software agent;
- each speaker's engine and voice, the title, and the script's SHA-256, in one
  `org.paperledge.episode` assertion (the script itself is not published, so its hash is
  an assertion rather than an ingredient);
- for a file made from the MP3 (an M4A, a video), a `c2pa.transcoded` action with the MP3's
  own manifest as its parent ingredient.
"""

from __future__ import annotations

import io
import os
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from .. import __version__
from ..errors import RenderError
from ..files import checked_write, temp_beside, write_problem
from .keys import SigningKey

GENERATED: Final = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
"""IPTC's digital source type for media made by a model trained on sampled content."""
EPISODE_ASSERTION: Final = "org.paperledge.episode"
AGENT: Final = "paperledge"
PARENT: Final = "parent"
"""The label that links a derived file's `c2pa.opened` action to its parent ingredient."""
FORMATS: Final = {".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".mp4": "video/mp4"}
"""The files the tool writes that C2PA can carry a manifest in (Ogg Opus cannot yet)."""


@dataclass(frozen=True)
class EpisodeFacts:
    """What a manifest says of an episode."""

    title: str
    speakers: list[tuple[str, str, str]] = field(default_factory=list)
    """(name, engine, voice) of each speaker, in order of first line."""
    script_sha256: str = ""
    show: str = ""
    mark: dict | None = None
    """The watermark's ids, when one is embedded (a soft binding to the manifest)."""


def manifest(facts: EpisodeFacts) -> dict:
    agent = {"name": AGENT, "version": __version__}
    episode: dict[str, object] = {
        "show": facts.show,
        "script_sha256": facts.script_sha256,
        "speakers": [{"name": n, "engine": e, "voice": v} for n, e, v in facts.speakers],
    }
    if facts.mark:
        episode["watermark"] = facts.mark
    return {
        "claim_generator_info": [agent],
        "title": facts.title,
        "assertions": [
            {
                "label": "c2pa.actions.v2",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": GENERATED,
                            "softwareAgent": agent,
                            "parameters": {"engines": sorted({f"{e} ({v})" for _, e, v in facts.speakers})},
                        }
                    ]
                },
            },
            {"label": EPISODE_ASSERTION, "data": episode},
        ],
    }


def derived_manifest(title: str) -> dict:
    agent = {"name": AGENT, "version": __version__}
    return {
        "claim_generator_info": [agent],
        "title": title,
        "assertions": [
            {
                "label": "c2pa.actions.v2",
                "data": {
                    "actions": [
                        {"action": "c2pa.opened", "softwareAgent": agent, "parameters": {"ingredientIds": [PARENT]}},
                        {"action": "c2pa.transcoded", "softwareAgent": agent, "digitalSourceType": GENERATED},
                    ]
                },
            }
        ],
    }


def _signer(key: SigningKey):
    import c2pa

    alg = {"ES256": c2pa.C2paSigningAlg.ES256, "ES384": c2pa.C2paSigningAlg.ES384, "Ed25519": c2pa.C2paSigningAlg.ED25519}[
        key.alg
    ]
    return c2pa.Signer.from_info(c2pa.C2paSignerInfo(alg, key.chain_pem, key.key_pem, None))


def format_of(path: Path) -> str | None:
    """The C2PA format of a file by its name (a temporary ".EPISODE.pl1-x.mp3.part" by the name it
    is written for); None for a kind C2PA cannot carry here."""
    return FORMATS.get(Path(path.name.removesuffix(".part")).suffix.lower())


def mime_of(path: Path) -> str:
    if (mime := format_of(path)) is None:
        raise RenderError(f"{path}: C2PA signing takes {', '.join(FORMATS)} files")
    return mime


def sign_in_place(
    path: Path, manifest_json: dict, key: SigningKey, label: Path | None = None, parent: Path | None = None
) -> None:
    """Sign `path` (a finished temporary file) with `manifest_json`: the signed copy is written
    beside it and renamed over it, so a failure (a full disk, a killed process) leaves the
    unsigned file and never a half-signed one. `parent` (a signed file this one was made
    from) becomes its parent ingredient."""
    import c2pa

    label = label or path
    mime = mime_of(label)
    signed = temp_beside(path, ".signed.part")
    try:
        builder = c2pa.Builder(manifest_json)
        if parent is not None:
            with open(parent, "rb") as p:
                builder.add_ingredient({"title": parent.name, "relationship": "parentOf", "label": PARENT}, mime_of(parent), p)
        with open(path, "rb") as src, open(signed, "w+b") as raw:
            dst = _Recording(raw)
            try:
                builder.sign(_signer(key), mime, src, dst)
            except c2pa.C2paError:
                if dst.error:  # the library wraps a write that failed: say what the system said
                    raise dst.error from None
                raise
            raw.flush()
            os.fsync(raw.fileno())
        with checked_write(label):
            os.replace(signed, path)
    except OSError as e:
        signed.unlink(missing_ok=True)
        raise RenderError(f"{write_problem(label, e)} (while signing it)") from None
    except c2pa.C2paError as e:
        signed.unlink(missing_ok=True)
        raise RenderError(f"{label}: Content Credentials could not be signed ({_short(e)})") from None


class _Recording(io.RawIOBase):
    """A file the C2PA library writes through, keeping the OSError of a failed write (a
    full disk) that the library would otherwise report only as a failed signing."""

    def __init__(self, f):
        self.f, self.error = f, None

    def _do(self, op, *args):
        try:
            return op(*args)
        except OSError as e:
            self.error = e
            raise

    def write(self, b):
        return self._do(self.f.write, b)

    def read(self, n=-1):
        return self._do(self.f.read, n)

    def seek(self, offset, whence=0):
        return self._do(self.f.seek, offset, whence)

    def tell(self):
        return self.f.tell()

    def flush(self):
        return self._do(self.f.flush)

    def readable(self):
        return True

    def writable(self):
        return True

    def seekable(self):
        return True


def prove(key: SigningKey) -> None:
    """Sign a tenth of a second of silence in memory: a certificate the C2PA library refuses
    (no digitalSignature use, a CA as the signer) is found before any audio is made."""
    import c2pa

    from .keys import KeyError_

    wav = io.BytesIO()
    with wave.open(wav, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 800)
    wav.seek(0)
    try:
        c2pa.Builder(manifest(EpisodeFacts("signing test"))).sign(_signer(key), "audio/wav", wav, io.BytesIO())
    except c2pa.C2paError as e:
        raise KeyError_(
            f"{key.chain_path}: this certificate cannot sign Content Credentials ({_short(e)}); "
            "it needs digitalSignature key usage and a CA above it (paperledge keys init makes one)"
        ) from None


def _short(e: Exception) -> str:
    text = " ".join(str(e).split())
    return text[:160]
