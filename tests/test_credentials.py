"""Content Credentials (C2PA): every MP3 is signed last, the reference reader (c2pa-python)
reads it back, a changed byte fails validate, and a key that cannot sign is one line
before anything is synthesised."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import TINY_EPISODE, ffprobe, refused_in_one_line, run_cli, with_nested_chapters

c2pa = pytest.importorskip("c2pa")

GENERATED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    """A tiny episode rendered with the heart voice by a user with no key yet: (mp3, script, stderr, config)."""
    root = tmp_path_factory.mktemp("signed")
    script = root / "tiny.md"
    script.write_text(TINY_EPISODE, encoding="utf-8")
    config = root / "config"
    proc = run_cli(
        "render",
        script,
        "-o",
        root / "out" / "tiny.mp3",
        "--voice",
        "heart",
        "--cache-dir",
        root / "cache",
        "-q",
        env={"XDG_CONFIG_HOME": str(config)},
    )
    assert proc.returncode == 0, proc.stderr
    return root / "out" / "tiny.mp3", script, proc.stderr, config


def _copy(mp3: Path, to: Path) -> Path:
    to.mkdir(exist_ok=True)
    for side in mp3.parent.glob(mp3.stem + ".*"):
        shutil.copy(side, to / side.name)
    return to / mp3.name


def _active(path: Path) -> tuple[str, dict]:
    with open(path, "rb") as f:
        reader = c2pa.Reader("audio/mpeg", f)
        return reader.get_validation_state(), reader.get_active_manifest()


def test_first_render_makes_a_private_key_and_says_where_in_one_line(signed):
    _, _, stderr, config = signed
    folder = config / "paperledge" / "signing"
    said = [line for line in stderr.splitlines() if "signing key" in line]
    assert len(said) == 1 and str(folder) in said[0], stderr
    assert (folder / "key.pem").stat().st_mode & 0o777 == 0o600
    assert folder.stat().st_mode & 0o777 == 0o700


def test_reference_reader_reads_what_the_manifest_says(signed):
    mp3, script, _, _ = signed
    state, active = _active(mp3)
    assert state in ("Valid", "Trusted")
    actions = next(a for a in active["assertions"] if a["label"].startswith("c2pa.actions"))["data"]["actions"]
    created = next(a for a in actions if a["action"] == "c2pa.created")
    assert created["digitalSourceType"] == GENERATED
    assert created["softwareAgent"]["name"] == "paperledge"
    assert active["title"] == "Tiny: a test"
    episode = next(a for a in active["assertions"] if a["label"] == "org.paperledge.episode")["data"]
    assert episode["script_sha256"] == hashlib.sha256(script.read_bytes()).hexdigest()
    assert [(s["engine"], s["voice"]) for s in episode["speakers"]] == [("hibari", "heart")]
    assert episode["speakers"][0]["name"]  # the host's name, never empty


def test_signed_mp3_keeps_its_tags_chapters_and_completeness(signed):
    mp3, _, _, config = signed
    probe = ffprobe(mp3)
    assert [c["tags"]["title"] for c in probe["chapters"]] == ["One", "Two"]
    assert probe["format"]["tags"]["title"] == "Tiny: a test"
    proc = run_cli("validate", mp3, env={"XDG_CONFIG_HOME": str(config)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Content Credentials valid" in proc.stdout and "trusted;" in proc.stdout  # this user's own CA


def test_a_flipped_byte_in_the_audio_fails_validate(signed, tmp_path):
    mp3 = _copy(signed[0], tmp_path)
    data = bytearray(mp3.read_bytes())
    data[len(data) * 2 // 3] ^= 0x01  # inside an audio frame: its structure still reads
    mp3.write_bytes(bytes(data))
    proc = run_cli("validate", mp3)
    assert proc.returncode != 0
    assert "changed after signing" in proc.stdout, proc.stdout
    assert "Traceback" not in proc.stderr


def test_no_sign_writes_no_manifest_and_validate_warns(tmp_path):
    script = tmp_path / "tiny.md"
    script.write_text(TINY_EPISODE, encoding="utf-8")
    out = tmp_path / "tiny.mp3"
    proc = run_cli("render", script, "-o", out, "--voice", "heart", "--cache-dir", tmp_path / "cache", "-q", "--no-sign")
    assert proc.returncode == 0, proc.stderr
    with pytest.raises(c2pa.C2paError), open(out, "rb") as f:
        c2pa.Reader("audio/mpeg", f)
    assert out.read_bytes()[:4] == b"ID3\x03", "unsigned, the tag stays ID3 v2.3 as Apple reads it"
    proc = run_cli("validate", out)
    assert proc.returncode == 0
    assert "warning: no Content Credentials" in proc.stdout


def _chain(folder: Path, days: tuple[int, int] = (-1, 365), key=None, usage: bool = True) -> tuple[Path, Path]:
    """A CA and signing certificate like `keys init` makes, valid from/to these days from now."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.timezone.utc)
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=900))
        .not_valid_after(now + dt.timedelta(days=900))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Other Editor")]))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(2)
        .not_valid_before(now + dt.timedelta(days=days[0]))
        .not_valid_after(now + dt.timedelta(days=days[1]))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=usage,
                content_commitment=False,
                key_encipherment=not usage,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    folder.mkdir(parents=True, exist_ok=True)
    chain, key_path = folder / "chain.pem", folder / "key.pem"
    chain.write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    key_path.write_bytes((key or leaf_key).private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    key_path.chmod(0o600)
    return chain, key_path


def _bad_key(kind: str, keys: Path) -> tuple[Path, Path]:
    from cryptography.hazmat.primitives.asymmetric import ec

    if kind == "expired":
        return _chain(keys, days=(-400, -2))
    if kind == "not for signing":
        return _chain(keys, usage=False)
    if kind == "wrong key":
        return _chain(keys, key=ec.generate_private_key(ec.SECP256R1()))
    chain, key = _chain(keys)
    if kind == "a link for a key":
        (keys / "link.pem").symlink_to(key)
        return chain, keys / "link.pem"
    if kind == "a pipe for a certificate":
        os.mkfifo(keys / "pipe.pem")
        return keys / "pipe.pem", key
    if kind == "open permissions":
        key.chmod(0o644)
    elif kind == "unreadable":
        key.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
        key.chmod(0o600)
    return chain, key


@pytest.mark.parametrize(
    "kind, words",
    [
        ("expired", ["expired"]),
        ("wrong key", ["not the key"]),
        ("open permissions", ["chmod 600"]),
        ("unreadable", ["not an unencrypted PEM"]),
        ("not for signing", ["cannot sign Content Credentials"]),
        ("a link for a key", ["a symbolic link"]),
        ("a pipe for a certificate", ["not a regular file"]),
    ],
)
def test_a_key_that_cannot_sign_is_one_line_before_any_synthesis(tmp_path, kind, words):
    chain, key = _bad_key(kind, tmp_path / "keys")
    show = tmp_path / "show"
    show.mkdir()
    (show / "show.toml").write_text(f'signing_certificate = "{chain}"\nsigning_key = "{key}"\n', encoding="utf-8")
    (show / "tiny.md").write_text(TINY_EPISODE, encoding="utf-8")
    cache = tmp_path / "cache"
    proc = run_cli("render", show / "tiny.md", "-o", tmp_path / "out.mp3", "--voice", "heart", "--cache-dir", cache, "-q")
    refused_in_one_line(proc, *words)
    assert not (tmp_path / "out.mp3").exists()
    assert not list(cache.rglob("*.pcm")), "nothing synthesised before the key was checked"


def test_the_producers_own_certificate_signs(tmp_path):
    chain, key = _chain(tmp_path / "keys")
    show = tmp_path / "show"
    show.mkdir()
    (show / "show.toml").write_text(f'signing_certificate = "{chain}"\nsigning_key = "{key}"\n', encoding="utf-8")
    (show / "tiny.md").write_text(TINY_EPISODE, encoding="utf-8")
    out = tmp_path / "out.mp3"
    proc = run_cli("render", show / "tiny.md", "-o", out, "--voice", "heart", "--cache-dir", tmp_path / "cache", "-q")
    assert proc.returncode == 0, proc.stderr
    assert _active(out)[1]["signature_info"]["common_name"] == "Other Editor"


def test_keys_show_prints_the_certificates_fingerprint(signed):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    config = signed[3]
    proc = run_cli("keys", "show", env={"XDG_CONFIG_HOME": str(config)})
    assert proc.returncode == 0, proc.stderr
    leaf = x509.load_pem_x509_certificates((config / "paperledge" / "signing" / "chain.pem").read_bytes())[0]
    assert hashlib.sha256(leaf.public_bytes(serialization.Encoding.DER)).hexdigest() in proc.stdout
    assert "PaperLedge signing key" in proc.stdout


def test_keys_show_without_a_key_is_one_line(tmp_path):
    refused_in_one_line(run_cli("keys", "show", env={"XDG_CONFIG_HOME": str(tmp_path)}), "keys init")


def test_renders_starting_at_once_make_one_key(tmp_path):
    code = (
        "import sys; from audio_pipeline.credentials.keys import init_keys, load_key; "
        "f, _ = init_keys(); print(load_key(f / 'key.pem', f / 'chain.pem').fingerprint)"
    )
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path))
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(6)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert len({o.strip() for o, _ in outs}) == 1, "every process signs with the one key that was kept"
    assert sorted(p.name for p in (tmp_path / "paperledge").iterdir()) == ["signing"], "no half-made folder left"


def test_a_manifest_another_tool_added_later_is_reported(signed, tmp_path):
    from audio_pipeline.credentials import read_credentials

    mp3 = _copy(signed[0], tmp_path / "ours")
    chain, key = _chain(tmp_path / "editor")
    builder = c2pa.Builder(
        {
            "claim_generator_info": [{"name": "OtherEditor", "version": "2.0"}],
            "title": "edited",
            "assertions": [
                {
                    "label": "c2pa.actions.v2",
                    "data": {
                        "actions": [
                            {"action": "c2pa.opened", "parameters": {"ingredientIds": ["ours"]}},
                            {"action": "c2pa.edited"},
                        ]
                    },
                }
            ],
        }
    )
    with open(mp3, "rb") as parent:
        builder.add_ingredient({"title": mp3.name, "relationship": "parentOf", "label": "ours"}, "audio/mpeg", parent)
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, chain.read_bytes(), key.read_bytes(), None))
    edited = tmp_path / "ours" / "edited.mp3"
    with open(mp3, "rb") as src, open(edited, "w+b") as dst:
        builder.sign(signer, "audio/mpeg", src, dst)
    found = read_credentials(edited)
    assert found.generator == "OtherEditor" and found.ok
    assert found.generated, "the AI declaration of the file it was made from still shows"
    assert "another tool (OtherEditor)" in found.line()


def test_a_junk_manifest_is_reported_not_crashed_on(signed, tmp_path):
    from mutagen.id3 import GEOB, ID3

    mp3 = _copy(signed[0], tmp_path)
    tags = ID3(mp3)
    tags.delall("GEOB")
    tags.add(GEOB(encoding=0, mime="application/c2pa", filename="c2pa", desc="c2pa manifest store", data=b"\x00junk" * 50))
    tags.save(mp3, v2_version=4)
    proc = run_cli("validate", mp3)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "Content Credentials" in proc.stdout


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), min_size=1, max_size=4),
    cut=st.one_of(st.none(), st.floats(0, 1)),
)
def test_any_damage_to_a_signed_file_is_a_verdict_never_a_traceback(signed, flips, cut):
    from audio_pipeline.credentials import read_credentials

    data = bytearray(signed[0].read_bytes())
    for where, bit in flips:
        data[int(where * len(data))] ^= bit
    if cut is not None:
        data = data[: int(cut * len(data))]
    found = read_credentials(Path("x.mp3"), data=bytes(data))
    assert found.verdict in ("tampered", "unreadable", "missing", "trusted", "untrusted")
    assert isinstance(found.line(), str)


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=2048))
def test_arbitrary_bytes_are_a_verdict(data):
    from audio_pipeline.credentials import read_credentials

    for name in ("x.mp3", "x.m4a", "x.mp4"):
        assert read_credentials(Path(name), data=data).verdict in ("unreadable", "missing", "tampered", "untrusted")


def test_a_key_kept_in_the_show_folder_is_refused(tmp_path):
    show = tmp_path / "show"
    chain, key = _chain(show / "secrets")
    (show / "show.toml").write_text(
        'signing_certificate = "secrets/chain.pem"\nsigning_key = "secrets/key.pem"\n', encoding="utf-8"
    )
    (show / "tiny.md").write_text(TINY_EPISODE, encoding="utf-8")
    proc = run_cli("render", show / "tiny.md", "-o", tmp_path / "out.mp3", "--voice", "heart", "-q", "--no-cache")
    refused_in_one_line(proc, "inside the show folder")


def test_chapters_nested_hundreds_deep_never_crash_the_reader(signed, tmp_path):
    """The C2PA library's ID3 reader overflows its stack (SIGSEGV) on CHAP frames nested a few
    hundred deep: validate refuses such a tag before handing it over."""
    mp3 = tmp_path / "deep.mp3"
    mp3.write_bytes(with_nested_chapters(signed[0], 400))
    proc = run_cli("validate", mp3)
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)  # not -11
    assert "nests chapters more than 8 deep" in proc.stdout


@settings(max_examples=200, deadline=None)
@given(
    body=st.binary(max_size=600),
    version=st.sampled_from([2, 3, 4, 5]),
    frames=st.lists(st.sampled_from([b"CHAP", b"CTOC", b"TIT2", b"\0\0\0\0"]), max_size=12),
)
def test_the_nesting_walk_answers_any_tag(body, version, frames):
    from audio_pipeline.credentials.read import shallow_id3

    data = b"".join(f + len(body).to_bytes(4, "big") + b"\0\0" + body for f in frames)
    tag = b"ID3" + bytes([version, 0, 0]) + bytes((len(data) >> s) & 0x7F for s in (21, 14, 7, 0)) + data
    assert shallow_id3(tag) in (True, False)
