"""A real keyring backend that keeps secrets in memory, for the ``memory_keyring`` fixture.

Owns ``MemoryKeyring``; imports keyring. The fixtures that install it (and the
failing backend, ``no_keyring``) are in ``tests/conftest.py``.
"""

from __future__ import annotations

import keyring.backend
import keyring.errors

__all__ = ["MemoryKeyring"]


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A real keyring backend that keeps its passwords in a dict."""

    priority = 1  # type: ignore[assignment]  # keyring declares it a classproperty

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.passwords.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)
