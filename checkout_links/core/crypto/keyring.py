"""The service's secrets, turned into one key per purpose.

``CHECKOUT_SECRET_KEYS`` lists secrets **oldest first, newest last**, and so
does every list of keys this module returns: the last key signs or encrypts,
every key verifies or decrypts (which is how a rotation works). Verifiers try
the newest first, since nearly everything in flight was made with it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from functools import cached_property

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from checkout_links.core.errors import InvalidToken

_NONCE = 12
_HEADER = 2


def derive_key(secret: str, purpose: str) -> bytes:
    """A 32-byte key for ``purpose`` from one configured secret (HKDF-SHA256)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode())
    return hkdf.derive(secret.encode())


class KeyRing:
    """The configured secrets (oldest first, newest last) as per-purpose keys."""

    def __init__(self, secrets: Sequence[str]) -> None:
        if not secrets:
            raise ValueError("at least one secret is needed")
        self._secrets = tuple(secrets)

    @cached_property
    def _aeads(self) -> list[tuple[int, AESGCMSIV]]:
        """(key id, cipher), newest first: the first encrypts, decryption tries them in turn."""
        out = []
        for secret in reversed(self._secrets):
            key = derive_key(secret, "checkout-links/link-token/v1")
            out.append((hashlib.sha256(key).digest()[0], AESGCMSIV(key)))
        return out

    def mac_keys(self, purpose: str) -> list[bytes]:
        """HMAC keys for ``purpose``, oldest first: the last one signs.

        The same order as the configuration, and as itsdangerous expects (it
        signs with the last key of a list).
        """
        cache = self.__dict__.setdefault("_mac_cache", {})
        if purpose not in cache:
            cache[purpose] = [derive_key(s, purpose) for s in self._secrets]
        keys: list[bytes] = cache[purpose]
        return keys

    def signing_key(self, purpose: str) -> bytes:
        """The key that signs for ``purpose``: the newest secret's."""
        return self.mac_keys(purpose)[-1]

    def verifying_keys(self, purpose: str) -> list[bytes]:
        """Every key that verifies for ``purpose``, newest first (the likeliest match)."""
        cache = self.__dict__.setdefault("_verify_cache", {})
        if purpose not in cache:
            cache[purpose] = list(reversed(self.mac_keys(purpose)))
        keys: list[bytes] = cache[purpose]
        return keys

    def _purpose_aeads(self, purpose: str) -> list[tuple[int, AESGCMSIV]]:
        """(key id, cipher) for ``purpose``, newest first, as :attr:`_aeads` for link tokens."""
        cache = self.__dict__.setdefault("_purpose_aead_cache", {})
        if purpose not in cache:
            keys = [derive_key(secret, purpose) for secret in reversed(self._secrets)]
            cache[purpose] = [(hashlib.sha256(k).digest()[0], AESGCMSIV(k)) for k in keys]
        aeads: list[tuple[int, AESGCMSIV]] = cache[purpose]
        return aeads

    def encrypt(self, purpose: str, plaintext: bytes, context: bytes) -> bytes:
        """``plaintext`` sealed with the newest key for ``purpose``, bound to ``context``.

        ``context`` (the Redis key a blob is stored under, say) is authenticated
        but not stored: a blob moved to another context does not open.
        """
        kid, aead = self._purpose_aeads(purpose)[0]
        nonce = os.urandom(_NONCE)
        return bytes([kid]) + nonce + aead.encrypt(nonce, plaintext, bytes([kid]) + context)

    def decrypt(self, purpose: str, blob: bytes, context: bytes) -> bytes:
        """The plaintext of an :meth:`encrypt` blob; :class:`InvalidToken` if no key opens it."""
        head, nonce, body = blob[:1], blob[1 : 1 + _NONCE], blob[1 + _NONCE :]
        for kid, aead in self._purpose_aeads(purpose):
            if bytes([kid]) != head:
                continue
            try:
                return aead.decrypt(nonce, body, head + context)
            except InvalidTag:
                continue
        raise InvalidToken()

    def sealed_with_newest(self, purpose: str, blob: bytes, context: bytes) -> bool:
        """Whether the newest key for ``purpose`` opens an :meth:`encrypt` blob."""
        kid, aead = self._purpose_aeads(purpose)[0]
        if blob[:1] != bytes([kid]):
            return False
        try:
            aead.decrypt(blob[1 : 1 + _NONCE], blob[1 + _NONCE :], blob[:1] + context)
        except InvalidTag:
            return False
        return True

    def seal(self, plaintext: bytes, header: bytes) -> bytes:
        kid, aead = self._aeads[0]
        head = header + bytes([kid])
        nonce = os.urandom(_NONCE)
        return head + nonce + aead.encrypt(nonce, plaintext, head)

    def open(self, blob: bytes) -> bytes:
        head, nonce, body = blob[:_HEADER], blob[_HEADER : _HEADER + _NONCE], blob[14:]
        for kid, aead in self._aeads:
            if kid != head[1]:
                continue
            try:
                return aead.decrypt(nonce, body, head)
            except InvalidTag:
                continue
        raise InvalidToken()
