import re
from typing import Annotated, Literal, get_args

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from socialcare.settings import Settings

Scope = Literal["read", "erase"]
SCOPES: frozenset[str] = frozenset(get_args(Scope))
KEY_MIN_LENGTH = 16
# URL-safe and standard base64 alphabets (what `secrets.token_urlsafe` and
# `openssl rand -base64` print); never `,` `:` or space, which delimit the list.
KEY_PATTERN = re.compile(r"[A-Za-z0-9._~+/=-]+")
KEYS_FORMAT = (
    "comma-separated entries `<key>:<scope>[+<scope>...]`, e.g. "
    "`<agent key>:read,<admin key>:read+erase`; scopes: read (search), erase (delete a "
    f"customer's data); keys: at least {KEY_MIN_LENGTH} characters of A-Z a-z 0-9 . _ ~ + / = -"
)


class SearchSettings(Settings):
    """Settings of the search API. (The index worker's are socialcare.index.settings.)"""

    # Errors about keys must not print them: pydantic would echo the input.
    model_config = SettingsConfigDict(hide_input_in_errors=True)

    search_api_keys: Annotated[dict[str, frozenset[Scope]], NoDecode] = Field(
        default_factory=dict,
        description=f"API keys and their scopes: {KEYS_FORMAT}.",
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
            pairs = [_split_entry(n, entry) for n, entry in enumerate(entries, 1)]
        elif isinstance(value, dict):
            pairs = [
                (n, key, list(scopes) if not isinstance(scopes, str) else scopes.split("+"))
                for n, (key, scopes) in enumerate(value.items(), 1)
            ]
        else:
            raise ValueError(f"expected {KEYS_FORMAT}")
        keys: dict[str, frozenset[str]] = {}
        for n, key, scopes in pairs:
            _check_key(n, key)
            unknown = sorted(set(scopes) - SCOPES)
            if unknown or not scopes:
                raise ValueError(
                    f"entry {n}: unknown scope(s) {', '.join(map(_shown, unknown)) or '(none)'}; "
                    f"scopes are {' and '.join(sorted(SCOPES))}, joined with '+'. "
                    f"Format: {KEYS_FORMAT}"
                )
            if key in keys:
                raise ValueError(f"entry {n} repeats the key of an earlier entry")
            keys[key] = frozenset(scopes)
        return keys


def _split_entry(n: int, entry: str) -> tuple[int, str, list[str]]:
    if not entry:
        raise ValueError(f"entry {n} is empty (two commas in a row, or a trailing comma)")
    key, colon, scopes = entry.partition(":")
    if not colon:
        hint = (
            f" ({entry!r} is a scope: join the scopes of one key with '+')"
            if entry in SCOPES
            else ""
        )
        raise ValueError(f"entry {n} has no ':<scope>' part{hint}. Format: {KEYS_FORMAT}")
    return n, key, scopes.split("+")


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
