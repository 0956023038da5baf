"""The show's signing key: where it lives, how it is made, and the checks made before a render.

The key is the producer's, not the show folder's: it lives in the user's config folder
($XDG_CONFIG_HOME/paperledge/signing/, else ~/.config/paperledge/signing/), mode 0600 in a
0700 folder, so it never travels with a show folder, the cache or the wheel. `keys init`
makes a P-256 key and a two-link chain for it (a show CA, and the signing certificate it
issues): C2PA readers refuse a self-signed signing certificate, and the CA is what a
producer hands to anyone who wants to trust the show's files. A producer with a
certificate from a CA on the C2PA trust list names it in show.toml instead
(`signing_certificate`, `signing_key`).
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import os
import shutil
import socket
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ..errors import PaperLedgeError

KEY_FILE: Final = "key.pem"
CHAIN_FILE: Final = "chain.pem"
"""The signing certificate, then the CA that issued it (PEM): what a manifest carries."""
CA_FILE: Final = "ca.pem"
"""The show CA alone: a trust anchor for `validate` on this machine, and for anyone the producer gives it to."""
SIGNING_DIR: Final = "signing"
CERT_YEARS: Final = 5
"""How long a made certificate holds; the CA holds twice as long, so a renewed key keeps it."""
EXPIRY_WARNING_DAYS: Final = 30


class KeyError_(PaperLedgeError):
    """The signing key or certificate cannot be used."""


def config_dir() -> Path:
    """The user's paperledge config folder, as the XDG base directory spec says."""
    base = os.environ.get("XDG_CONFIG_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return root / "paperledge"


def signing_dir() -> Path:
    return config_dir() / SIGNING_DIR


@dataclass(frozen=True)
class SigningKey:
    """A key and its certificate chain, checked: ready to sign."""

    key_pem: bytes
    chain_pem: bytes
    alg: str
    """ES256, ES384 or Ed25519, as the C2PA library names it."""
    subject: str
    fingerprint: str
    """SHA-256 of the signing certificate (DER), as `keys show` prints it."""
    not_after: dt.datetime
    key_path: Path
    chain_path: Path


def init_keys(folder: Path | None = None, force: bool = False) -> tuple[Path, bool]:
    """Make the show's key and chain in `folder` (default: the user's signing folder) unless
    one is there; (folder, made). Made in a private temporary folder and renamed into place,
    so two renders starting at once end with one key, whole."""
    folder = folder or signing_dir()
    if (folder / KEY_FILE).exists() and not force:
        return folder, False
    try:
        folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        work = Path(tempfile.mkdtemp(prefix=".signing-", dir=folder.parent))  # mode 0700
        try:
            key_pem, chain_pem, ca_pem = _make_chain()
            _write_private(work / KEY_FILE, key_pem)
            (work / CHAIN_FILE).write_bytes(chain_pem)
            (work / CA_FILE).write_bytes(ca_pem)
            if force and folder.exists():
                shutil.rmtree(folder)
            try:
                os.rename(work, folder)
            except OSError:  # another process made it first: keep theirs
                if not (folder / KEY_FILE).exists():
                    raise
                return folder, False
        finally:
            shutil.rmtree(work, ignore_errors=True)
    except OSError as e:
        raise KeyError_(
            f"cannot make the signing key in {folder} ({e.strerror}); set XDG_CONFIG_HOME to a writable folder"
        ) from None
    return folder, True


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _make_chain() -> tuple[bytes, bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.timezone.utc)
    who = f"{getpass.getuser()}@{socket.gethostname()}"[:60]

    def name(cn: str) -> x509.Name:
        return x509.Name(
            [x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "PaperLedge")]
        )

    def usage(sign: bool) -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=sign,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=not sign,
            crl_sign=not sign,
            encipher_only=False,
            decipher_only=False,
        )

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = name(f"PaperLedge show CA ({who})")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=365 * CERT_YEARS * 2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage(False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    # C2PA asks a signing certificate for digitalSignature and an extended key usage other
    # than "any"; email protection is the one the C2PA conformance list accepts for a person.
    leaf = (
        x509.CertificateBuilder()
        .subject_name(name(f"PaperLedge signing key ({who})"))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=365 * CERT_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return key_pem, leaf.public_bytes(pem) + ca.public_bytes(pem), ca.public_bytes(pem)


def load_key(key_path: Path, chain_path: Path, now: dt.datetime | None = None) -> SigningKey:
    """The key and chain at these paths, checked: the key private to this user, the
    certificate current, and the key the certificate's. One line naming what to fix."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    key_pem = _read_private(key_path)
    chain_pem = _read_public(chain_path)
    try:
        certs = x509.load_pem_x509_certificates(chain_pem)
    except ValueError:
        raise KeyError_(
            f"{chain_path}: not a PEM certificate chain; give the signing certificate and the CA certificates that issued it"
        ) from None
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as e:
        raise KeyError_(
            f"{key_path}: not an unencrypted PEM private key ({str(e)[:60]}); "
            "give the key without a passphrase, readable by this user only"
        ) from None
    leaf = certs[0]
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name in ("secp256r1", "secp384r1"):
        alg = "ES256" if key.curve.name == "secp256r1" else "ES384"
    elif isinstance(key, ed25519.Ed25519PrivateKey):
        alg = "Ed25519"
    else:
        raise KeyError_(
            f"{key_path}: a {type(key).__name__.replace('_', '')} key; C2PA signing here takes "
            "an EC P-256 or P-384 key, or Ed25519 (paperledge keys init makes a P-256 one)"
        )
    pub = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if key.public_key().public_bytes(der, pub) != leaf.public_key().public_bytes(der, pub):
        raise KeyError_(
            f"{key_path}: this key is not the key of the certificate in {chain_path}; give the key the certificate was issued for"
        )
    now = now or dt.datetime.now(dt.timezone.utc)
    if leaf.not_valid_after_utc < now:
        raise KeyError_(
            f"{chain_path}: the signing certificate expired on {leaf.not_valid_after_utc:%Y-%m-%d}; "
            "renew it (paperledge keys init --renew makes a new one)"
        )
    if leaf.not_valid_before_utc > now:
        raise KeyError_(
            f"{chain_path}: the signing certificate is valid only from "
            f"{leaf.not_valid_before_utc:%Y-%m-%d}; check this machine's clock"
        )
    return SigningKey(
        key_pem=key_pem,
        chain_pem=chain_pem,
        alg=alg,
        subject=leaf.subject.rfc4514_string(),
        fingerprint=hashlib.sha256(leaf.public_bytes(der)).hexdigest(),
        not_after=leaf.not_valid_after_utc,
        key_path=key_path,
        chain_path=chain_path,
    )


def _read_private(path: Path) -> bytes:
    """A key file, refused unless it is a regular file of this user's that no one else may read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as e:
        why = "a symbolic link" if e.errno == 40 else e.strerror
        raise KeyError_(
            f"{path}: cannot read the signing key ({why}); run paperledge keys init, or name your key in show.toml (signing_key)"
        ) from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise KeyError_(f"{path}: the signing key is not a regular file")
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            raise KeyError_(f"{path}: the signing key belongs to another user; use a key of your own")
        if st.st_mode & 0o077:
            raise KeyError_(f"{path}: the signing key is open to others (mode {st.st_mode & 0o777:04o}); chmod 600 {path}")
        return f.read(64 * 1024)


def _read_public(path: Path) -> bytes:
    from ..files import read_bytes

    return read_bytes(path, "signing certificate", KeyError_, limit=256 * 1024)


def fingerprint_line(key: SigningKey) -> str:
    return (
        f"{key.subject}\n  SHA-256 {key.fingerprint}\n  valid until {key.not_after:%Y-%m-%d}"
        f"\n  key {key.key_path}\n  chain {key.chain_path}"
    )


def say(line: str) -> None:
    """A line for the producer that is not an error (a key made for them), on stderr."""
    print(line, file=sys.stderr)
