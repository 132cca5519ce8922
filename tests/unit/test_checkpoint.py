"""Signed notes and checkpoints, against the golang.org/x/mod/sumdb/note and C2SP examples."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from service.ledger.checkpoint import (
    Checkpoint,
    NoteError,
    SigningKey,
    VerifierKey,
    open_checkpoint,
    open_note,
)

# From golang.org/x/mod/sumdb/note (note_test.go, TestSign) and the C2SP signed-note spec.
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIG = (
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)
GO_NOTE = f"{GO_TEXT}\n\u2014 PeterNeumann {GO_SIG}\n"
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n\u2014 example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)


def test_signing_reproduces_the_go_reference_note_byte_for_byte() -> None:
    key = SigningKey.parse(GO_SKEY)
    assert str(key) == GO_SKEY
    assert str(key.verifier) == GO_VKEY
    assert key.sign(GO_TEXT) == GO_NOTE


def test_reference_notes_open_with_their_verifier_keys() -> None:
    assert open_note(GO_NOTE, VerifierKey.parse(GO_VKEY)) == GO_TEXT
    assert open_note(SPEC_NOTE, VerifierKey.parse(SPEC_VKEY)) == "This is an example message.\n"


def test_a_note_signed_here_verifies_by_the_algorithm_as_specified() -> None:
    """Independent of open_note: key id, signature over the text bytes, with raw Ed25519."""
    key = SigningKey.generate("pledger.test/ledger")
    body = Checkpoint("pledger.test/ledger", 7, hashlib.sha256(b"root").digest()).body()
    note = key.sign(body)
    text, signature_line = note.split("\n\n")
    assert text + "\n" == body
    assert signature_line.startswith("\u2014 pledger.test/ledger ")
    blob = base64.b64decode(signature_line.split(" ")[2])
    public = key.verifier.public
    want_id = hashlib.sha256(b"pledger.test/ledger\n\x01" + public).digest()[:4]
    assert blob[:4] == want_id
    Ed25519PublicKey.from_public_bytes(public).verify(blob[4:], body.encode())


def test_checkpoint_round_trip() -> None:
    key = SigningKey.generate("origin.example")
    head = Checkpoint("origin.example", 42, bytes(range(32)))
    assert head.body() == f"origin.example\n42\n{base64.b64encode(bytes(range(32))).decode()}\n"
    assert open_checkpoint(key.sign(head.body()), key.verifier) == head


def test_a_changed_checkpoint_does_not_verify() -> None:
    key = SigningKey.generate("origin.example")
    note = key.sign(Checkpoint("origin.example", 42, bytes(32)).body())
    with pytest.raises(NoteError, match="no valid signature"):
        open_checkpoint(note.replace("\n42\n", "\n43\n"), key.verifier)


def test_a_note_signed_by_another_key_with_the_same_name_does_not_verify() -> None:
    ours, theirs = SigningKey.generate("origin.example"), SigningKey.generate("origin.example")
    note = theirs.sign(Checkpoint("origin.example", 1, bytes(32)).body())
    with pytest.raises(NoteError, match="no valid signature"):
        open_checkpoint(note, ours.verifier)


@pytest.mark.parametrize(
    "text",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong key id
        "PeterNeumann+c74f20a3+Apc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # not base64
        "PeterNeumann+c74f20a3+AhpcQcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # not Ed25519
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # bad name
        "PeterNeumann",
    ],
)
def test_malformed_verifier_keys_are_refused(text: str) -> None:
    with pytest.raises(NoteError):
        VerifierKey.parse(text)


@pytest.mark.parametrize(
    "body",
    ["origin\n1\n", "origin\n01\nAAAA\n", "origin\n-1\n" + "A" * 44 + "\n", "\n1\nAAAA\n"],
)
def test_malformed_checkpoints_are_refused(body: str) -> None:
    with pytest.raises(NoteError):
        Checkpoint.parse(body)


def test_the_signing_key_never_shows_its_seed() -> None:
    key = SigningKey.generate("origin.example")
    assert "PRIVATE" not in repr(key)
