"""Logging in over DDP as Meteor's ``accounts-base`` client does, on a ``DDPClient``.

Owns ``Accounts`` (one per client: the user id, the resume token, the
re-login hook) and the module-level calls ``login_with_password``,
``login_with_token``, ``logout`` and ``user_id``; imports its siblings
``ddp_client`` and ``handles``, ``transport.listeners`` and ``ddp``
(``ddp.password`` builds the exact params). Behaviour from
``accounts-base/accounts_client.js`` ``callLoginMethod``, ``logout``,
``makeClientLoggedOut`` and ``accounts_common.js`` ``_tokenExpiresSoon``
(docs/meteor-ddp.md section 9):

- ``login`` and ``logout`` are ``wait`` methods;
- the user id is set when the login's result *and* data are there (Meteor's
  ``loggedInAndDataReadyCallback``); a failed login changes nothing;
- when a result carrying a token arrives (``onResultReceived``), the re-login
  hook is (re)armed with it. At every later transport reset the client's
  ``on_reconnect`` calls ``login({resume: token})`` as a wait method, so it goes
  out before every re-sent call (docs/meteor-ddp.md section 5.6); if the token
  expires soon, or the re-login fails with that token still current, the
  client is logged out. ``logout`` stops the hook.

``Accounts`` takes over the client's ``on_reconnect`` and calls the earlier
callback first, as Meteor runs ``connection.onReconnect`` before the
``DDP.onReconnect`` hooks; set ``client.on_reconnect`` before ``Accounts.of``.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ddp_monitor.ddp.errors import DDPError
from ddp_monitor.ddp.password import login_password_params, login_resume_params
from ddp_monitor.transport.client.ddp_client import DDPClient
from ddp_monitor.transport.client.handles import PendingMethod
from ddp_monitor.transport.listeners import Listeners

__all__ = [
    "TOKEN_LIFETIME",
    "Accounts",
    "LoginResult",
    "login_with_password",
    "login_with_token",
    "logout",
    "user_id",
]

#: ``DEFAULT_LOGIN_EXPIRATION_DAYS`` (90) of accounts_common.js.
TOKEN_LIFETIME = timedelta(days=90)
#: ``MIN_TOKEN_LIFETIME_CAP_SECS``: "expires soon" is at most an hour ahead.
_SOON_CAP = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class LoginResult:
    """What ``login`` answered: ``{id, token, tokenExpires, type}``."""

    user_id: str
    token: str | None = None
    token_expires: datetime | None = None
    type: str | None = None

    @classmethod
    def from_wire(cls, value: Any) -> LoginResult:
        if not isinstance(value, dict) or not isinstance(value.get("id"), str):
            raise DDPError(f"login answered without a user id: {value!r}")
        token, expires = value.get("token"), value.get("tokenExpires")
        return cls(
            value["id"],
            token if isinstance(token, str) else None,
            expires if isinstance(expires, datetime) else None,
            value.get("type") if isinstance(value.get("type"), str) else None,
        )


class Accounts:
    """The login state of one ``DDPClient``; get it with ``Accounts.of(client)``.

    Args:
        client: started or not; its ``on_reconnect`` is wrapped (see module).
        clock: the wall clock, for token expiry (tests pass their own).
    """

    def __init__(
        self,
        client: DDPClient,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.clock = clock
        self._user_id: str | None = None
        self._resume: LoginResult | None = None  # the re-login hook's token
        self._listeners: Listeners[str | None] = Listeners(self._report)
        self._previous = client.on_reconnect
        client.on_reconnect = self._on_reconnect

    @classmethod
    def of(cls, client: DDPClient) -> Accounts:
        """The one ``Accounts`` of ``client`` (made on first use)."""
        known = _ACCOUNTS.get(client)
        found = known() if known is not None else None
        if found is None:
            found = cls(client)
            _ACCOUNTS[client] = weakref.ref(found)
        return found

    # -- state ---------------------------------------------------------------------
    @property
    def user_id(self) -> str | None:
        """``Meteor.userId()``: the logged-in user's id, or None."""
        return self._user_id

    @property
    def token(self) -> str | None:
        """The resume token of the last login (what re-login uses), or None."""
        return None if self._resume is None else self._resume.token

    def add_listener(
        self, listener: Callable[[str | None], None]
    ) -> Callable[[], None]:
        """Call ``listener(user_id)`` on every change; returns the remover."""
        return self._listeners.add(listener)

    # -- logging in and out ----------------------------------------------------------
    def login_with_password_nowait(self, user: str, password: str) -> PendingMethod:
        """``Meteor.loginWithPassword``; ``user`` with ``@`` is an email."""
        return self._call_login(login_password_params(user, password))

    def login_with_token_nowait(self, token: str) -> PendingMethod:
        """``Meteor.loginWithToken``: may be called before the socket opens."""
        return self._call_login(login_resume_params(token))

    async def login_with_password(self, user: str, password: str) -> LoginResult:
        """Log in; raises ``MethodError`` (403 "Incorrect password", ...)."""
        return LoginResult.from_wire(
            await self.login_with_password_nowait(user, password)
        )

    async def login_with_token(self, token: str) -> LoginResult:
        """Log in with a resume token; raises ``MethodError`` on a refused token."""
        return LoginResult.from_wire(await self.login_with_token_nowait(token))

    async def logout(self) -> None:
        """``Meteor.logout``: the server destroys the token; then logged out here."""
        await self.client.apply("logout", [], wait=True)
        self.make_logged_out()

    def make_logged_out(self) -> None:
        """``makeClientLoggedOut``: forget the user and the token, stop re-login."""
        self._resume = None
        self._set_user(None)

    # -- the machinery ---------------------------------------------------------------
    def _call_login(
        self, params: list[Any], relogin_token: str | None = None
    ) -> PendingMethod:
        pending = self.client.apply_nowait(
            "login", params, wait=True, on_result_received=self._on_result_received
        )

        def done(_: object) -> None:
            if pending.result.cancelled():
                return
            error = pending.result.exception()
            if error is None:
                try:
                    self._set_user(
                        LoginResult.from_wire(pending.result.result()).user_id
                    )
                except DDPError as exc:
                    self._report(exc)
            elif relogin_token is not None and relogin_token == self.token:
                # accounts_client.js: a failed resume with the token still
                # stored logs the client out.
                self.make_logged_out()

        pending.result.add_done_callback(done)
        return pending

    def _on_result_received(self, error: DDPError | None, result: Any) -> None:
        # callLoginMethod's onResultReceived: an error leaves the old hook alone,
        # so a user already logged in is still logged in again on reconnect.
        if error is not None or not isinstance(result, dict):
            return
        try:
            login = LoginResult.from_wire(result)
        except DDPError:
            return
        if login.token is not None:
            self._resume = login

    def _on_reconnect(self) -> None:
        if self._previous is not None:
            self._previous()
        resume = self._resume
        if resume is None or resume.token is None:
            return
        expires = resume.token_expires or self.clock() + TOKEN_LIFETIME
        if self._expires_soon(expires):
            self.make_logged_out()
            return
        self._call_login(login_resume_params(resume.token), relogin_token=resume.token)

    def _expires_soon(self, expires: datetime) -> bool:
        # accounts_common.js _tokenExpiresSoon: 10% of the lifetime, capped at 1 h.
        margin = min(TOKEN_LIFETIME * 0.1, _SOON_CAP)
        return self.clock() > expires - margin

    def _set_user(self, user_id: str | None) -> None:
        if user_id != self._user_id:
            self._user_id = user_id
            if self._listeners.active:
                self._listeners.emit(user_id)

    def _report(self, exc: BaseException) -> None:
        self.client._report(exc)  # the loop's exception handler, as the client's own


#: One ``Accounts`` per client, gone with the client. The client holds its
#: Accounts (``on_reconnect``); the Accounts holds its client, so the entry
#: holds the Accounts weakly: a strong value would keep its key, the client
#: and its whole store, alive for ever after the connection closed.
_ACCOUNTS: weakref.WeakKeyDictionary[DDPClient, weakref.ref[Accounts]] = (
    weakref.WeakKeyDictionary()
)


def login_with_password(client: DDPClient, user: str, password: str) -> PendingMethod:
    """``Accounts.of(client).login_with_password_nowait``: await it for the result dict."""
    return Accounts.of(client).login_with_password_nowait(user, password)


def login_with_token(client: DDPClient, token: str) -> PendingMethod:
    """``Accounts.of(client).login_with_token_nowait``."""
    return Accounts.of(client).login_with_token_nowait(token)


async def logout(client: DDPClient) -> None:
    """``Accounts.of(client).logout()``."""
    await Accounts.of(client).logout()


def user_id(client: DDPClient) -> str | None:
    """``Meteor.userId()`` of ``client``."""
    return Accounts.of(client).user_id
