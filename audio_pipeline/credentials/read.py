"""Reading Content Credentials back: the C2PA reference reader's verdict, in one word and a line.

The verdicts, worst first:
- tampered: a manifest whose hash binding or signature no longer matches the bytes;
- unreadable: a manifest the reader cannot parse;
- missing: no manifest;
- untrusted: valid, but signed by a certificate no trust anchor here vouches for (the
  show's own key is trusted on the machine that made it: its CA is an anchor here);
- trusted: valid and chained to a trust anchor.
A manifest another tool added after ours (an editor re-signing the file) is reported as
such, with its generator; it is never a crash.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from ..audio.export import syncsafe
from ..errors import PaperLedgeError
from ..files import read_bytes
from .keys import CA_FILE, signing_dir
from .sign import AGENT, EPISODE_ASSERTION, GENERATED, format_of

MAX_READ: Final = 2 * 1024**3
MAX_ID3_NESTING: Final = 8
"""Chapters within chapters any real tag may hold; the C2PA library's reader crashes a few hundred deep."""
UNTRUSTED_CODES: Final = frozenset({"signingCredential.untrusted", "timeStamp.untrusted"})
"""Failure codes that say only "no anchor vouches for the signer", not "the bytes changed"."""

TAMPERED: Final = "tampered"
UNREADABLE: Final = "unreadable"
MISSING: Final = "missing"
UNTRUSTED: Final = "untrusted"
TRUSTED: Final = "trusted"


@dataclass(frozen=True)
class Credentials:
    """What a file's Content Credentials say, as the reference reader judged them."""

    verdict: str
    signer: str = ""
    generator: str = ""
    """The claim generator's name ("paperledge", or another tool's)."""
    generated: bool = False
    """Whether an action declares the content made by a trained model (trainedAlgorithmicMedia)."""
    title: str = ""
    episode: dict = field(default_factory=dict)
    """Our own assertion (speakers, script hash, show), when the manifest is ours."""
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.verdict in (TRUSTED, UNTRUSTED)

    @property
    def ours(self) -> bool:
        return self.generator == AGENT

    def line(self) -> str:
        """One line for a producer, as validate, the review page and the studio show it."""
        if self.verdict == MISSING:
            return "no Content Credentials (render without --no-sign to mark it as made by AI)"
        if self.verdict == UNREADABLE:
            return f"Content Credentials unreadable ({'; '.join(self.problems)[:120]})"
        if self.verdict == TAMPERED:
            return f"Content Credentials do not match the file: changed after signing ({', '.join(self.problems)[:120]})"
        who = f"signed by {self.signer or 'an unnamed signer'}"
        if not self.ours:
            who += f", last signed by another tool ({self.generator or 'unnamed'})"
        trust = "trusted" if self.verdict == TRUSTED else "untrusted: no trust anchor here vouches for the signer"
        ai = "declares AI-generated content" if self.generated else "does NOT declare AI-generated content"
        return f"Content Credentials valid, {who}; {trust}; {ai}"


def trust_anchors() -> str:
    """PEM certificates `validate` trusts: the show CA of this user's own key, when there is one."""
    path = signing_dir() / CA_FILE
    try:
        return read_bytes(path, "show CA", limit=256 * 1024).decode("ascii", "replace")
    except PaperLedgeError:  # no key made here yet, or an unreadable one: nothing is trusted
        return ""


def read_credentials(path: Path, anchors: str | None = None, data: bytes | None = None) -> Credentials:
    """The Content Credentials of `path` (or of `data`, the file's bytes already read)."""
    import c2pa

    mime = format_of(path) or "audio/mpeg"
    anchors = trust_anchors() if anchors is None else anchors
    if data is None:
        data = read_bytes(path, "file", limit=MAX_READ)
    if mime == "audio/mpeg" and not shallow_id3(data):
        # The C2PA library's ID3 reader recurses into chapters within chapters and overflows
        # its stack a few hundred deep, killing the process: such a tag is never handed to it.
        return Credentials(UNREADABLE, problems=(f"the ID3 tag nests chapters more than {MAX_ID3_NESTING} deep",))
    try:
        settings: dict[str, dict[str, object]] = {"verify": {"verify_trust": bool(anchors)}}
        if anchors:
            settings["trust"] = {"trust_anchors": anchors}
        reader = c2pa.Reader(mime, io.BytesIO(data), context=c2pa.Context.from_dict(settings))
        state = reader.get_validation_state() or ""
        results = reader.get_validation_results() or {}
        store = json.loads(reader.json())
    except c2pa.C2paError as e:
        text = " ".join(str(e).split())
        if "ManifestNotFound" in type(e).__name__ or "JumbfNotFound" in text or "no JUMBF" in text:
            return Credentials(MISSING)
        return Credentials(UNREADABLE, problems=(text[:160],))
    except (ValueError, TypeError) as e:
        return Credentials(UNREADABLE, problems=(str(e)[:160],))
    active = store.get("manifests", {}).get(store.get("active_manifest", ""), {}) if isinstance(store, dict) else {}
    failures = [f.get("code", "") for f in (results.get("activeManifest") or {}).get("failure") or [] if isinstance(f, dict)]
    broken = tuple(c for c in failures if c not in UNTRUSTED_CODES)
    generators = active.get("claim_generator_info") or [{}]
    info = active.get("signature_info") or {}
    episode = next(
        (
            a.get("data") or {}
            for a in active.get("assertions") or []
            if isinstance(a, dict) and a.get("label") == EPISODE_ASSERTION
        ),
        {},
    )
    if state == "Invalid" or broken:
        verdict, problems = TAMPERED, broken or ("invalid",)
    else:
        verdict, problems = TRUSTED if state == "Trusted" else UNTRUSTED, tuple(failures)
    return Credentials(
        verdict,
        signer=str(info.get("common_name") or info.get("issuer") or ""),
        generator=str(generators[0].get("name", "")) if isinstance(generators[0], dict) else "",
        generated=_declares_generated(active, store),
        title=str(active.get("title") or ""),
        episode=episode if isinstance(episode, dict) else {},
        problems=problems,
    )


def _declares_generated(active: dict, store: dict) -> bool:
    """Whether the active manifest, or the manifest of an ingredient it was made from, says
    the content was made by a trained model."""
    manifests = store.get("manifests") or {}
    seen = [active] + [
        manifests.get(i.get("active_manifest", ""), {}) for i in active.get("ingredients") or [] if isinstance(i, dict)
    ]
    for m in seen:
        for a in m.get("assertions") or []:
            if isinstance(a, dict) and str(a.get("label", "")).startswith("c2pa.actions"):
                for act in (a.get("data") or {}).get("actions") or []:
                    if isinstance(act, dict) and act.get("digitalSourceType") == GENERATED:
                        return True
    return False


def shallow_id3(data: bytes, limit: int = 0) -> bool:
    """Whether the ID3v2 tag at the start of `data` (if any) nests CHAP and CTOC frames at most
    MAX_ID3_NESTING deep (a chaptered episode nests one: the CTOC's and CHAPs' own sub-frames).
    Walked with a list, not recursion, so the check cannot overflow either."""
    if len(data) < 10 or data[:3] != b"ID3" or data[3] not in (2, 3, 4):
        return True
    if data[3] == 2:  # three-letter frames, no CHAP: nothing nests
        return True
    v4 = data[3] == 4
    end = min(len(data), 10 + syncsafe(data[6:10]))
    work = [(10, end, 0)]
    while work:
        at, stop, depth = work.pop()
        while at + 10 <= stop:
            fid = data[at : at + 4]
            if not fid.isalnum():
                break  # padding, or the tag's end
            size = syncsafe(data[at + 4 : at + 8]) if v4 else int.from_bytes(data[at + 4 : at + 8], "big")
            body, at = at + 10, at + 10 + size
            if at > stop:
                break
            if fid in (b"CHAP", b"CTOC"):
                if depth + 1 > MAX_ID3_NESTING:
                    return False
                sub = _sub_frames(data, body, at, fid == b"CTOC")
                if sub is not None:
                    work.append((sub, at, depth + 1))
    return True


def _sub_frames(data: bytes, body: int, end: int, toc: bool) -> int | None:
    """Where a CHAP's or CTOC's embedded frames start (after its element id and fields)."""
    at = data.find(b"\0", body, end)
    if at < 0:
        return None
    at += 1
    if not toc:
        return at + 16 if at + 16 <= end else None
    if at + 2 > end:
        return None
    count, at = data[at + 1], at + 2
    for _ in range(count):
        at = data.find(b"\0", at, end)
        if at < 0:
            return None
        at += 1
    return at
