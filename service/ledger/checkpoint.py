"""Signed checkpoints: the C2SP tlog-checkpoint body in a C2SP signed note with Ed25519 keys.

Pure: no I/O. Key strings and key ids follow golang.org/x/mod/sumdb/note exactly.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALG_ED25519 = b"\x01"
SIG_PREFIX = "\u2014 "  # an em dash and a space open every signature line
_PRIVATE_PREFIX = "PRIVATE+KEY+"


class NoteError(ValueError):
    """A key, note or checkpoint that is malformed or whose signature does not verify."""


def _check_name(name: str) -> str:
    if not name or "+" in name or any(ch.isspace() for ch in name):
        raise NoteError(f"invalid key name {name!r}: non-empty, no spaces, no '+'")
    return name


def key_id(name: str, public: bytes) -> int:
    """First four bytes of SHA-256(name || LF || 0x01 || public key), big-endian."""
    digest = hashlib.sha256(name.encode() + b"\n" + ALG_ED25519 + public).digest()
    return int.from_bytes(digest[:4], "big")


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as e:
        raise NoteError(f"{what} is not valid base64") from e


@dataclass(frozen=True, slots=True)
class VerifierKey:
    name: str
    public: bytes

    @property
    def key_id(self) -> int:
        return key_id(self.name, self.public)

    def __str__(self) -> str:
        encoded = base64.b64encode(ALG_ED25519 + self.public).decode()
        return f"{self.name}+{self.key_id:08x}+{encoded}"

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        """Parse "<name>+<hex key id>+<base64(0x01 || public key)>"."""
        name, _, rest = text.strip().partition("+")
        hex_id, _, encoded = rest.partition("+")
        raw = _b64decode(encoded, "verifier key")
        if len(hex_id) != 8 or raw[:1] != ALG_ED25519 or len(raw) != 33:
            raise NoteError("malformed verifier key: want <name>+<8 hex>+<base64 Ed25519 key>")
        key = cls(_check_name(name), raw[1:])
        if f"{key.key_id:08x}" != hex_id.lower():
            raise NoteError("verifier key id does not match its name and public key")
        return key

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True, slots=True)
class SigningKey:
    name: str
    seed: bytes

    @classmethod
    def generate(cls, name: str) -> SigningKey:
        seed = Ed25519PrivateKey.generate().private_bytes_raw()
        return cls(_check_name(name), seed)

    @property
    def verifier(self) -> VerifierKey:
        public = Ed25519PrivateKey.from_private_bytes(self.seed).public_key()
        return VerifierKey(self.name, public.public_bytes(Encoding.Raw, PublicFormat.Raw))

    def __str__(self) -> str:
        encoded = base64.b64encode(ALG_ED25519 + self.seed).decode()
        return f"{_PRIVATE_PREFIX}{self.name}+{self.verifier.key_id:08x}+{encoded}"

    def __repr__(self) -> str:
        return f"SigningKey(name={self.name!r})"  # never print the seed

    @classmethod
    def parse(cls, text: str) -> SigningKey:
        """Parse "PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>"."""
        text = text.strip()
        if not text.startswith(_PRIVATE_PREFIX):
            raise NoteError("malformed signing key: it must start with PRIVATE+KEY+")
        name, _, rest = text.removeprefix(_PRIVATE_PREFIX).partition("+")
        hex_id, _, encoded = rest.partition("+")
        raw = _b64decode(encoded, "signing key")
        if raw[:1] != ALG_ED25519 or len(raw) != 33:
            raise NoteError("malformed signing key: want an Ed25519 seed")
        key = cls(_check_name(name), raw[1:])
        if f"{key.verifier.key_id:08x}" != hex_id.lower():
            raise NoteError("signing key id does not match its name and key")
        return key

    def sign(self, text: str) -> str:
        """The signed note: the text, a blank line, one signature line."""
        if not text.endswith("\n"):
            raise NoteError("a note's text must end with a newline")
        signature = Ed25519PrivateKey.from_private_bytes(self.seed).sign(text.encode())
        blob = self.verifier.key_id.to_bytes(4, "big") + signature
        return f"{text}\n{SIG_PREFIX}{self.name} {base64.b64encode(blob).decode()}\n"


def open_note(note: str, key: VerifierKey) -> str:
    """The note's text if `key` signed it; signatures by other keys are ignored."""
    text, sep, signatures = note.rpartition("\n\n")
    if not sep or not signatures.endswith("\n"):
        raise NoteError("malformed note: no signature block")
    text += "\n"
    for line in signatures.removesuffix("\n").split("\n"):
        if not line.startswith(SIG_PREFIX):
            raise NoteError(f"malformed signature line {line!r}")
        name, _, encoded = line.removeprefix(SIG_PREFIX).partition(" ")
        blob = _b64decode(encoded, "signature")
        if name != key.name or len(blob) != 68:
            continue
        if int.from_bytes(blob[:4], "big") == key.key_id and key.verify(text.encode(), blob[4:]):
            return text
    raise NoteError(f"no valid signature by {key.name} ({key.key_id:08x}) on the note")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A tree head: the log's origin line, its size and its root hash."""

    origin: str
    tree_size: int
    root_hash: bytes

    def body(self) -> str:
        root = base64.b64encode(self.root_hash).decode()
        return f"{self.origin}\n{self.tree_size}\n{root}\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body (extension lines after the root are allowed and ignored)."""
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "" or not lines[0]:
            raise NoteError("malformed checkpoint: want origin, size and root lines")
        size = lines[1]
        if not size.isdigit() or not size.isascii() or (size != "0" and size.startswith("0")):
            raise NoteError(f"malformed checkpoint size {size!r}")
        root = _b64decode(lines[2], "checkpoint root")
        if len(root) != 32:
            raise NoteError("checkpoint root is not a SHA-256 hash")
        return cls(lines[0], int(size), root)


def open_checkpoint(note: str, key: VerifierKey) -> Checkpoint:
    """Verify a signed checkpoint note and return the tree head it states."""
    return Checkpoint.parse(open_note(note, key))
