"""Fresh credentials for a replayed login: given on the command line or from a profile.

Owns ``Credentials``, ``from_profile`` and ``of_profile`` (also a scenario's
login step's, ``scenarios.runner``); imports ``profiles`` (the saved
profiles and the keyring beside them). A recording never holds a password or
a token (``recording.masking``), so a replay that logs in needs new ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from ddp_monitor.profiles import (
    LoginKind,
    Profile,
    ProfileError,
    ProfileStore,
    SecretStore,
    SecretsUnavailable,
)

__all__ = ["Credentials", "CredentialsError", "from_profile", "of_profile"]


class CredentialsError(ValueError):
    """No usable credentials: the message says what is missing."""


@dataclass(frozen=True, slots=True)
class Credentials:
    """A user and password (a user with ``@`` is an email), or a resume token."""

    user: str | None = None
    password: str | None = None
    token: str | None = None

    def __post_init__(self) -> None:
        if self.token is None and (self.user is None) != (self.password is None):
            raise CredentialsError("give both a user and a password")

    @property
    def given(self) -> bool:
        return self.token is not None or self.user is not None

    def __repr__(self) -> str:  # never the secret itself, in a log or a traceback
        return f"Credentials(user={self.user!r}, token={self.token is not None})"


def from_profile(name: str, store: ProfileStore | None = None) -> Credentials:
    """The login of the saved profile ``name``, its secret from the keyring."""
    store = store or ProfileStore()
    try:
        profiles = store.load()
    except ProfileError as exc:
        raise CredentialsError(f"the profiles cannot be read: {exc}") from None
    profile = next((p for p in profiles if p.name == name), None)
    if profile is None:
        known = ", ".join(repr(p.name) for p in profiles) or "none saved"
        raise CredentialsError(f"no profile named {name!r} ({known})")
    return of_profile(profile, store.secrets)


def of_profile(profile: Profile, secrets: SecretStore) -> Credentials:
    """The login of ``profile``, its secret read from ``secrets`` now (a scenario's
    login step reads it when it runs, so a password changed meanwhile is used)."""
    name = profile.name
    if profile.login.kind is LoginKind.NONE:
        raise CredentialsError(f"the profile {name!r} does not log in")
    try:
        secret = secrets.get(SecretStore.key(profile))
    except SecretsUnavailable as exc:
        raise CredentialsError(f"the profile {name!r}'s secret: {exc}") from None
    if not secret:
        raise CredentialsError(f"the profile {name!r} has no saved secret")
    if profile.login.kind is LoginKind.RESUME:
        return Credentials(token=secret)
    return Credentials(profile.login.user, secret)
