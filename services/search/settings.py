import re
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from socialcare.settings import Settings

Scope = Literal["read", "reply", "erase", "admin"]
SCOPES: frozenset[str] = frozenset(get_args(Scope))
KEY_MIN_LENGTH = 16
# URL-safe and standard base64 alphabets (what `secrets.token_urlsafe` and
# `openssl rand -base64` print); never `,` `:` or space, which delimit the list.
KEY_PATTERN = re.compile(r"[A-Za-z0-9._~+/=-]+")
AGENT_PATTERN = re.compile(r"[A-Za-z0-9._@-]{1,64}")
KEYS_FORMAT = (
    "comma-separated entries `<key>:<scope>[+<scope>...][:<agent>]`, e.g. "
    "`<agent key>:read+reply:maria,<admin key>:read+erase`; scopes: read (search), reply "
    "(act on conversations: reply, assign, resolve, reopen, note), erase (delete a "
    "customer's data), admin (all of them); agent: the name the key acts as "
    "(A-Z a-z 0-9 . _ @ -, at most 64), `agent-<n>` for the n-th entry without one; "
    f"keys: at least {KEY_MIN_LENGTH} characters of A-Z a-z 0-9 . _ ~ + / = -"
)


class KeyGrant(BaseModel):
    """What one API key may do, and the agent it acts as."""

    model_config = ConfigDict(frozen=True)

    scopes: frozenset[Scope]
    agent: str


class SearchSettings(Settings):
    """Settings of the search API. (The index worker's are socialcare.index.settings.)"""

    # Errors about keys must not print them: pydantic would echo the input.
    model_config = SettingsConfigDict(hide_input_in_errors=True)

    search_api_keys: Annotated[dict[str, KeyGrant], NoDecode] = Field(
        default_factory=dict,
        description=f"API keys, their scopes and agents: {KEYS_FORMAT}.",
    )
    search_publish_timeout_seconds: float = Field(
        10.0,
        gt=0,
        description="How long an action request (reply, assign, ...) waits for Kafka's "
        "acknowledgement before answering 503.",
    )

    @field_validator("search_api_keys", mode="before")
    @classmethod
    def _parse_keys(cls, value: object) -> object:
        """Every entry explicit and checked, so that a typo such as `admin:read,erase`
        (a second entry `erase`) is refused instead of becoming a read key `erase`.
        Messages name the entry by position and never contain a key."""
        if isinstance(value, str):
            entries = [part.strip() for part in value.split(",")]
            if entries == [""]:
                return {}
            triples = [_split_entry(n, entry) for n, entry in enumerate(entries, 1)]
        elif isinstance(value, dict):
            items = enumerate(value.items(), 1)
            triples = [_from_mapping(n, key, grant) for n, (key, grant) in items]
        else:
            raise ValueError(f"expected {KEYS_FORMAT}")
        keys: dict[str, KeyGrant] = {}
        for n, key, scopes, agent in triples:
            _check_key(n, key)
            _check_scopes(n, scopes)
            if key in keys:
                raise ValueError(f"entry {n} repeats the key of an earlier entry")
            keys[key] = KeyGrant(scopes=frozenset(scopes), agent=_agent(n, agent))
        return keys


Entry = tuple[int, str, list[str], str | None]


def _from_mapping(n: int, key: str, grant: object) -> Entry:
    if isinstance(grant, KeyGrant):
        return n, key, list(grant.scopes), grant.agent
    if isinstance(grant, dict):
        return n, key, list(grant.get("scopes", ())), grant.get("agent")
    scopes = grant.split("+") if isinstance(grant, str) else list(grant)  # type: ignore[call-overload]
    return n, key, scopes, None


def _check_scopes(n: int, scopes: list[str]) -> None:
    unknown = sorted(set(scopes) - SCOPES)
    if unknown or not scopes:
        raise ValueError(
            f"entry {n}: unknown scope(s) {', '.join(map(_shown, unknown)) or '(none)'}; "
            f"scopes are {', '.join(sorted(SCOPES))}, joined with '+'. "
            f"Format: {KEYS_FORMAT}"
        )


def _agent(n: int, agent: str | None) -> str:
    if agent is None:
        return f"agent-{n}"
    # Not echoed: a misplaced key could stand where the agent goes.
    if not AGENT_PATTERN.fullmatch(agent):
        raise ValueError(
            f"entry {n}: the agent name is empty, longer than 64 characters or has "
            "characters outside A-Z a-z 0-9 . _ @ -"
        )
    return agent


def _split_entry(n: int, entry: str) -> Entry:
    if not entry:
        raise ValueError(f"entry {n} is empty (two commas in a row, or a trailing comma)")
    key, colon, rest = entry.partition(":")
    if not colon:
        hint = (
            f" ({entry!r} is a scope: join the scopes of one key with '+')"
            if entry in SCOPES
            else ""
        )
        raise ValueError(f"entry {n} has no ':<scope>' part{hint}. Format: {KEYS_FORMAT}")
    scopes, colon, agent = rest.partition(":")
    return n, key, scopes.split("+"), agent if colon else None


def _check_key(n: int, key: object) -> None:
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise ValueError(
            f"entry {n}: the key is empty or has characters outside A-Z a-z 0-9 . _ ~ + / = -"
        )
    if len(key) < KEY_MIN_LENGTH:
        raise ValueError(
            f"entry {n}: the key has {len(key)} characters, fewer than {KEY_MIN_LENGTH}; "
            "generate one with `python -c 'import secrets; print(secrets.token_urlsafe(24))'`"
        )


def _shown(scope: str) -> str:
    # Only what could be a typo of a scope name is printed: anything else may be (part
    # of) a misplaced key.
    return repr(scope) if re.fullmatch(r"[a-z_]{0,15}", scope) else "(a value not shown)"
