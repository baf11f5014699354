"""A small ``accounts-base`` + ``accounts-password`` for ``DDPServer``: ``login`` and ``logout``.

Owns the demo's users, their resume tokens and the two methods; imports
``transport.server``, ``ddp`` (``ddp.password`` for the digest and token
hash shared with the client) and ``demo.names`` (the account newcomers are
told of). Behaviour copied from Meteor 1.9.3's
``accounts-base/accounts_server.js`` and ``accounts-password/password_server.js``
(docs/meteor-ddp.md section 9):

- ``login({user: {username|email|id}, password: <digest object or plaintext>})``
  and ``login({resume: token})``; the result is ``{id, token, tokenExpires, type}``
  and the connection's user id is set through the method invocation;
- tokens are ``Random.secret()`` values and only ``sha256(token)`` in base64 is
  kept (``_hashLoginToken``), each with the time it was made (``when``);
- failures are Meteor's 403 errors ("User not found", "Incorrect password",
  "You've been logged out by the server. Please log in again.", "Your session
  has expired. Please log in again."), 400 "Match failed" for a malformed
  request and 400 "Unrecognized options for login request";
- ``logout()`` forgets the connection's token, destroys it and clears the user
  id; every other connection logged in with that token is closed, as the
  observe ``_setLoginToken`` keeps on the token closes it in Meteor 1.9.3
  (``removed: connection.close``); ``revoke`` does the same for all of a
  user's tokens;
- the logged-in user's document (``username``, ``emails``) is published to
  its own connection by a universal publication, as accounts-base's
  ``Meteor.publish(null, ...)`` does, so login and logout show up in the
  ``users`` collection through the setUserId rerun.

Passwords are kept as Meteor's SHA-256 digest (Meteor bcrypts that digest: a
demo has no need to be slow), compared in constant time.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ddp_monitor.ddp.errors import MethodError
from ddp_monitor.ddp.ids import random_id
from ddp_monitor.ddp.password import meteor_sha256, random_secret, token_hash
from ddp_monitor.ddp.server.collection import Collection, Cursor
from ddp_monitor.demo import names
from ddp_monitor.transport.server.ddp_server import (
    ConnectionHandle,
    DDPServer,
    MethodInvocation,
    Subscription,
)

__all__ = [
    "DEMO_USERS",
    "LOGIN_EXPIRATION",
    "DemoAccounts",
    "DemoUser",
    "install_accounts",
]

#: ``DEFAULT_LOGIN_EXPIRATION_DAYS`` of accounts_common.js.
LOGIN_EXPIRATION = timedelta(days=90)

_LOGGED_OUT = "You've been logged out by the server. Please log in again."
_EXPIRED = "Your session has expired. Please log in again."


@dataclass(frozen=True, slots=True)
class DemoUser:
    """One account: ``password_digest`` is Meteor's ``SHA256(password)``."""

    id: str
    username: str
    email: str
    password_digest: str

    @classmethod
    def make(cls, username: str, email: str, password: str) -> DemoUser:
        return cls(random_id(), username, email, meteor_sha256(password))


#: (username, email, password) of the accounts the demo server starts with.
DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    (names.ACCOUNT[0], "demo@example.com", names.ACCOUNT[1]),
    ("ada", "ada@example.com", "lovelace \N{HORSE}"),  # non-BMP: the digest subtlety
)


def _match_failed() -> MethodError:
    # check()'s Match.Error reaches the client as its sanitizedError.
    return MethodError(400, "Match failed")


def _non_empty(value: Any) -> bool:
    return isinstance(value, str) and len(value) > 0


class DemoAccounts:
    """Users, hashed resume tokens and the connections logged in with them.

    Args:
        users: the accounts; ``DEMO_USERS`` when None.
        clock: the wall clock for token stamps and expiry (tests pass their own).
    """

    def __init__(
        self,
        users: Iterable[DemoUser] | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        made = [DemoUser.make(*spec) for spec in DEMO_USERS] if users is None else users
        self.users = {user.id: user for user in made}
        self.clock = clock
        self.tokens: dict[str, tuple[str, datetime]] = {}  # hash -> (user id, when)
        self._by_connection: dict[str, str] = {}  # connection id -> token hash
        self._connections: dict[str, ConnectionHandle] = {}
        # What accounts-base publishes of a user (_defaultPublishFields).
        self.user_documents = Collection("users")
        for user in self.users.values():
            self.user_documents.insert(
                {
                    "_id": user.id,
                    "username": user.username,
                    "emails": [{"address": user.email, "verified": False}],
                }
            )

    # -- the methods --------------------------------------------------------------
    def login(self, this: MethodInvocation, options: Any = None, *_: Any) -> Any:
        """Meteor's ``login`` method: the resume handler, then the password one."""
        if not isinstance(options, dict):
            raise _match_failed()  # check(options, Object)
        if options.get("resume"):
            user_id, token, when = self._resume(options["resume"])
            kind = "resume"
        elif options.get("password"):
            user_id = self._check_password(options)
            token, when = random_secret(), self.clock()
            self.tokens[token_hash(token)] = (user_id, when)
            kind = "password"
        else:
            raise MethodError(400, "Unrecognized options for login request")
        conn = this.connection
        if conn.id not in self._connections:
            self._connections[conn.id] = conn
            conn.on_close(lambda: self._forget_connection(conn.id))
        self._by_connection[conn.id] = token_hash(token)
        this.set_user_id(user_id)
        return {
            "id": user_id,
            "token": token,
            "tokenExpires": when + LOGIN_EXPIRATION,
            "type": kind,
        }

    def logout(self, this: MethodInvocation, *_: Any) -> None:
        """Meteor's ``logout``: the token is destroyed, user id null.

        accounts_server.js ``methods.logout``: ``_setLoginToken(..., null)``
        detaches this connection from its token first, then ``destroyToken``;
        the other connections still on that token are closed by it.
        """
        hashed = self._by_connection.pop(this.connection.id, None)
        if hashed is not None and this.user_id is not None:
            self._destroy_tokens({hashed})
        this.set_user_id(None)

    def publish_user(self, sub: Subscription) -> Cursor | None:
        """The universal publication of the logged-in user's own document."""
        user_id = sub.user_id
        if user_id is None:
            return None
        return self.user_documents.find(lambda doc: doc["_id"] == user_id)

    # -- for tests and the demo --------------------------------------------------
    def revoke(self, user_id: str) -> None:
        """Destroy every token of ``user_id``: its connections close, resumes fail."""
        self._destroy_tokens(
            {hashed for hashed, (owner, _) in self.tokens.items() if owner == user_id}
        )

    def _destroy_tokens(self, hashes: set[str]) -> None:
        for hashed in hashes:
            self.tokens.pop(hashed, None)
        # The observe on each connection's token sees it removed: connection.close().
        for conn_id, hashed in list(self._by_connection.items()):
            conn = self._connections.get(conn_id)
            if hashed in hashes and conn is not None:
                conn.close()

    def _forget_connection(self, conn_id: str) -> None:
        self._by_connection.pop(conn_id, None)
        self._connections.pop(conn_id, None)

    def find(self, name: str) -> DemoUser | None:
        """The user with this username or email (case-insensitive, as Meteor)."""
        wanted = name.casefold()
        for user in self.users.values():
            if wanted in (user.username.casefold(), user.email.casefold()):
                return user
        return None

    # -- handlers -----------------------------------------------------------------
    def _resume(self, token: Any) -> tuple[str, str, datetime]:
        # accounts_server.js defaultResumeLoginHandler
        if not isinstance(token, str):
            raise _match_failed()
        found = self.tokens.get(token_hash(token))
        if found is None:
            raise MethodError(403, _LOGGED_OUT)
        user_id, when = found
        if self.clock() >= when + LOGIN_EXPIRATION:
            raise MethodError(403, _EXPIRED)
        return user_id, token, when

    def _check_password(self, options: dict[str, Any]) -> str:
        # password_server.js: check(options, {user: userQueryValidator,
        # password: passwordValidator}), then _findUserByQuery, checkPassword.
        user, password = options.get("user"), options.get("password")
        if set(options) != {"user", "password"} or not isinstance(user, dict):
            raise _match_failed()
        if not set(user) <= {"id", "username", "email"} or len(user) != 1:
            raise _match_failed()
        ((field, value),) = user.items()
        if not _non_empty(value):
            raise _match_failed()
        if isinstance(password, str):
            digest = meteor_sha256(password)
        elif (
            isinstance(password, dict)
            and set(password) == {"digest", "algorithm"}
            and all(isinstance(v, str) for v in password.values())
        ):
            if password["algorithm"] != "sha-256":
                # getPasswordString throws a plain Error: the client sees a 500.
                raise ValueError(
                    "Invalid password hash algorithm. Only 'sha-256' is allowed."
                )
            digest = password["digest"]
        else:
            raise _match_failed()
        found = self.users.get(value) if field == "id" else self.find(value)
        if found is None:
            raise MethodError(403, "User not found")
        if not hmac.compare_digest(digest.encode(), found.password_digest.encode()):
            raise MethodError(403, "Incorrect password")
        return found.id


def install_accounts(
    server: DDPServer, accounts: DemoAccounts | None = None
) -> DemoAccounts:
    """Register ``login`` and ``logout`` on ``server``; returns the accounts used."""
    accounts = accounts if accounts is not None else DemoAccounts()
    server.methods({"login": accounts.login, "logout": accounts.logout})
    server.publish(None, accounts.publish_user)
    return accounts
