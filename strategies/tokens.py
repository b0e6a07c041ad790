"""Hostile credentials: agent-token claims, scope patterns, token and approval tampering.

Hostile classes reached (each is a label on the generated value, and tests/mcp proves
every label is generated):

- ``exp``: valid, missing, null, expired, boundary_past (1-3 s ago), boundary_now (0-1 s),
  boundary_future (2-5 s ahead), far_future, fractional, non_numeric (string, numeric
  string, list, object, bool), nonfinite (NaN, ±Infinity), negative;
- ``iat``: now, past, missing, future (beyond skew), boundary (1 s ahead), far_future,
  non_numeric, nonfinite;
- ``aud``: right, wrong, missing, empty, case_variant, suffix_variant, non_string,
  list_with_right, list_without, alt_key (``audience`` instead of ``aud``);
- ``tenant``: own, other, missing, empty, null, unknown_uuid, malformed, non_string;
- scope patterns: exact, ``*`` in every segment position, bare ``*``, prefix ``mcp:*``,
  case variants, look-alike model names (plural, typo, homoglyph, padding), empty,
  extra segments, partial-segment wildcards; scope sets with duplicates, as a list or
  a space-separated string;
- token tampering: one character changed in header/payload/signature, truncation,
  standard-alphabet re-encoding, padding, junk characters, algorithm header (re-signed
  or not), wrong secret, swapped payload or signature, dropped/extra segment, whitespace;
- approval tokens: the same tampering classes, plus grant mismatches (rejected, expired,
  other tool, other tenant, other principal, other arguments, missing).

Values are pure descriptions: times are offsets from a ``now`` supplied when the claims
are materialized, so the strategies do no I/O and stay deterministic.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

from hypothesis import strategies as st

from targets.agent_tokens import B64URL, b64url

YEAR = 365 * 24 * 3600
OTHER_SECRET = "not-the-agent-secret-0a1b2c3d4e5f"


# -- claims -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Claim:
    """One claim's class and how to build its value: ``offset`` seconds from now, or a literal."""

    kind: str
    offset: float | None = None
    literal: Any = None
    present: bool = True

    def value(self, now: int) -> Any:
        return now + self.offset if self.offset is not None else self.literal


def _rel(kind: str, lo: int, hi: int) -> st.SearchStrategy[Claim]:
    return st.integers(lo, hi).map(lambda o: Claim(kind, offset=o))


def _lit(kind: str, values: st.SearchStrategy[Any]) -> st.SearchStrategy[Claim]:
    return values.map(lambda v: Claim(kind, literal=v))


NON_NUMERIC = st.sampled_from(["soon", "1700000000", "", "NaN", [1], {"t": 1}, True, False])
NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])


def exp_claims() -> st.SearchStrategy[Claim]:
    """Every expiry class."""
    return st.one_of(
        _rel("valid", 60, 3600),
        st.just(Claim("missing", present=False)),
        st.just(Claim("null", literal=None)),
        _rel("expired", -10 * YEAR, -60),
        _rel("boundary_past", -3, -1),
        _rel("boundary_now", 0, 1),
        _rel("boundary_future", 3, 5),
        _rel("far_future", 2 * YEAR, 50 * YEAR),
        st.floats(60.25, 3600.75).filter(lambda f: f != int(f)).map(lambda o: Claim("fractional", offset=o)),
        _lit("non_numeric", NON_NUMERIC),
        _lit("nonfinite", NON_FINITE),
        _lit("negative", st.integers(-(2 ** 40), -1)),
    )


def iat_claims() -> st.SearchStrategy[Claim]:
    """Every issued-at class."""
    return st.one_of(
        _rel("now", -1, 0),
        _rel("past", -3600, -2),
        st.just(Claim("missing", present=False)),
        _rel("boundary", 1, 1),
        _rel("future", 3, 3600),
        _rel("far_future", YEAR, 50 * YEAR),
        _lit("non_numeric", NON_NUMERIC),
        _lit("nonfinite", NON_FINITE),
    )


def aud_claims() -> st.SearchStrategy[Claim]:
    """Audience classes; ``right``/``wrong`` are resolved against the configured audience."""
    return st.one_of(
        st.sampled_from(["right", "wrong", "empty", "case_variant", "suffix_variant",
                         "list_with_right", "list_without", "alt_key", "non_string"]).map(Claim),
        st.just(Claim("missing", present=False)),
    )


def tenant_claims() -> st.SearchStrategy[Claim]:
    """Tenant classes; ``own``/``other`` are resolved against the target's tenants."""
    return st.one_of(
        st.sampled_from(["own", "other", "empty", "null", "unknown_uuid", "malformed", "non_string"]).map(Claim),
        st.just(Claim("missing", present=False)),
    )


#: One claim of every class (the sweep's credential classes); the strategies above draw the same classes.
EXP_REPRESENTATIVES = {c.kind: c for c in (
    Claim("valid", offset=600), Claim("missing", present=False), Claim("null", literal=None),
    Claim("expired", offset=-3600), Claim("boundary_past", offset=-2), Claim("boundary_now", offset=0),
    Claim("boundary_future", offset=4), Claim("far_future", offset=10 * YEAR), Claim("fractional", offset=600.5),
    Claim("non_numeric", literal="soon"), Claim("nonfinite", literal=math.inf), Claim("negative", literal=-1))}
IAT_REPRESENTATIVES = {c.kind: c for c in (
    Claim("now", offset=0), Claim("past", offset=-600), Claim("missing", present=False), Claim("boundary", offset=1),
    Claim("future", offset=600), Claim("far_future", offset=10 * YEAR), Claim("non_numeric", literal="soon"),
    Claim("nonfinite", literal=math.nan))}
AUD_REPRESENTATIVES = {c.kind: c for c in (
    *(Claim(k) for k in ("right", "wrong", "empty", "case_variant", "suffix_variant", "list_with_right",
                         "list_without", "alt_key", "non_string")), Claim("missing", present=False))}
TENANT_REPRESENTATIVES = {c.kind: c for c in (
    *(Claim(k) for k in ("own", "other", "empty", "null", "unknown_uuid", "malformed", "non_string")),
    Claim("missing", present=False))}
SCOPE_FORMS = ("list", "string", "missing", "scope_key")


def _audience_value(kind: str, audience: str) -> tuple[str, Any]:
    key = "audience" if kind == "alt_key" else "aud"
    return key, {
        "right": audience, "alt_key": audience, "wrong": "some-other-service", "empty": "",
        "case_variant": audience.upper() if audience.upper() != audience else audience.lower() + "X",
        "suffix_variant": audience + "/", "list_with_right": [audience, "some-other-service"],
        "list_without": ["some-other-service"], "non_string": 12345,
    }[kind]


def _tenant_value(kind: str, own: str, other: str) -> Any:
    return {
        "own": own, "other": other, "empty": "", "null": None,
        "unknown_uuid": "c0000000-0000-4000-8000-00000000000c", "malformed": "not-a-tenant-id",
        "non_string": 0,
    }[kind]


@dataclass(frozen=True)
class ClaimsCase:
    """A claims set described by class, turned into a dict by :meth:`materialize`."""

    exp: Claim
    iat: Claim
    aud: Claim
    tenant: Claim
    scopes: tuple[str, ...]
    scope_form: str  # list | string | missing | scope_key

    def materialize(self, now: int, audience: str | None, own_tenant: str, other_tenant: str,
                    agent_id: str = "fuzz-agent") -> dict[str, Any]:
        claims: dict[str, Any] = {"agent_id": agent_id, "sub": f"owner-of-{agent_id}", "jti": f"jti-{agent_id}"}
        if self.exp.present:
            claims["exp"] = self.exp.value(now)
        if self.iat.present:
            claims["iat"] = self.iat.value(now)
        if self.aud.present:
            key, value = _audience_value(self.aud.kind, audience or "aksara-fuzz-unconfigured-audience")
            claims[key] = value
        if self.tenant.present:
            claims["tenant_id"] = _tenant_value(self.tenant.kind, own_tenant, other_tenant)
        if self.scope_form == "list":
            claims["scopes"] = list(self.scopes)
        elif self.scope_form == "string":
            claims["scopes"] = " ".join(self.scopes)
        elif self.scope_form == "scope_key":
            claims["scope"] = " ".join(self.scopes)
        return claims


# -- scopes -------------------------------------------------------------------------------

def _lookalikes(model: str) -> list[str]:
    return [model + "s", model[:-1] if len(model) > 1 else model + "x", model.upper(), model.capitalize(),
            " " + model, model + " ", model.replace("i", "\u0456").replace("o", "\u043e"), model + "_", ""]


def scope_patterns(models: Sequence[str]) -> st.SearchStrategy[str]:
    """One granted scope pattern: exact, wildcards in any position, look-alikes, case variants, junk."""
    models = [m.lower() for m in models] or ["model"]
    access = st.sampled_from(["read", "write"])
    model = st.sampled_from(models)
    exact = st.tuples(access, model).map(lambda t: f"mcp:{t[0]}:{t[1]}")

    def starred(parts: tuple[str, str, str], mask: tuple[bool, bool, bool]) -> str:
        return ":".join("*" if m else p for p, m in zip(parts, mask))

    wildcard = st.builds(starred, st.tuples(st.just("mcp"), access, model),
                         st.tuples(st.booleans(), st.booleans(), st.booleans()).filter(any))
    return st.one_of(
        exact,
        wildcard,
        st.sampled_from(["*", "mcp:*", "mcp:read:*", "mcp:write:*", "*:*", "mcp:*:*", "mcp:**", "mcp*"]),
        exact.map(str.upper),
        st.tuples(access, model).map(lambda t: f"MCP:{t[0].upper()}:{t[1]}"),
        st.tuples(access, model.flatmap(lambda m: st.sampled_from(_lookalikes(m)))).map(
            lambda t: f"mcp:{t[0]}:{t[1]}"),
        st.tuples(access, model).map(lambda t: f"mcp:{t[0]}:{t[1][:3]}*"),
        st.tuples(access, model).map(lambda t: f"mcp:{t[0]}:{t[1]}:extra"),
        st.tuples(access, model).map(lambda t: f"mcp:{t[0]}"),
        st.sampled_from(["", " ", ":", "mcp::ticket", "read:ticket", "mcp:admin:*"]),
    )


def scope_sets(models: Sequence[str]) -> st.SearchStrategy[tuple[str, ...]]:
    """A granted set: empty, singletons, several patterns, duplicated entries."""
    patterns = scope_patterns(models)
    return st.one_of(
        st.just(()),
        st.lists(patterns, min_size=1, max_size=4).map(tuple),
        patterns.map(lambda p: (p, p)),
    )


def required_scopes(models: Sequence[str]) -> st.SearchStrategy[str]:
    """A scope an operation requires: ``mcp:<read|write>:<model>``."""
    return st.tuples(st.sampled_from(["read", "write"]), st.sampled_from([m.lower() for m in models])).map(
        lambda t: f"mcp:{t[0]}:{t[1]}")


def claims_cases(models: Sequence[str], grant: str | None = None) -> st.SearchStrategy[ClaimsCase]:
    """Claims sets combining every exp, iat, aud, tenant and scope class.

    Half the cases are fully random combinations; the other half are a valid claims set (granting
    ``grant`` when given) with exactly one class changed, so each class is also seen on its own.
    """
    scopes = scope_sets(models)
    if grant is not None:
        scopes = st.one_of(scopes, st.just((grant,)), scopes.map(lambda s: (*s, grant)))
    forms = st.sampled_from(["list", "list", "list", "string", "missing", "scope_key"])
    random = st.builds(ClaimsCase, exp=exp_claims(), iat=iat_claims(), aud=aud_claims(), tenant=tenant_claims(),
                       scopes=scopes, scope_form=forms)
    base = dict(exp=Claim("valid", offset=600), iat=Claim("now", offset=0), aud=Claim("right"),
                tenant=Claim("own"), scopes=(grant,) if grant else (), scope_form="list")
    deviations = st.one_of(
        exp_claims().map(lambda c: {"exp": c}), iat_claims().map(lambda c: {"iat": c}),
        aud_claims().map(lambda c: {"aud": c}), tenant_claims().map(lambda c: {"tenant": c}),
        scopes.map(lambda s: {"scopes": s}), forms.map(lambda f: {"scope_form": f}),
    )
    return random | deviations.map(lambda change: ClaimsCase(**{**base, **change}))


def grant_classes(required: str, models: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """One granted scope set per class, relative to the ``mcp:<access>:<model>`` scope an operation requires."""
    parts = required.split(":")
    if len(parts) != 3:  # a scope outside the mcp:<access>:<model> grammar: granted or not
        return {"exact": (required,), "none": ()}
    _, access, model = parts
    other_access = "read" if access == "write" else "write"
    others = [m.lower() for m in models if m.lower() != model]
    return {
        "exact": (required,), "none": (), "star": ("*",), "mcp_star": ("mcp:*",), "access_star": (f"mcp:{access}:*",),
        "model_star": (f"mcp:*:{model}",), "other_access": (f"mcp:{other_access}:{model}",),
        "other_model": (f"mcp:{access}:{others[0]}",) if others else (f"mcp:{access}:{model}x",),
        "lookalike": (f"mcp:{access}:{model}s",), "upper": (required.upper(),),
        "prefix_star": (f"mcp:{access}:{model[:3]}*",), "extra_segment": (f"{required}:extra",),
        "two_segments": (f"mcp:{access}",), "duplicated": (required, required),
    }


def credential_classes(required: str, models: Sequence[str]) -> list[tuple[str, ClaimsCase]]:
    """``(class, claims)``: a valid claims set granting ``required``, then that set with exactly one claim, scope
    form or granted-scope class changed, one case per class."""
    base = ClaimsCase(exp=EXP_REPRESENTATIVES["valid"], iat=IAT_REPRESENTATIVES["now"],
                      aud=AUD_REPRESENTATIVES["right"], tenant=TENANT_REPRESENTATIVES["own"], scopes=(required,),
                      scope_form="list")
    cases = [("valid", base)]
    for claim, table in (("exp", EXP_REPRESENTATIVES), ("iat", IAT_REPRESENTATIVES), ("aud", AUD_REPRESENTATIVES),
                         ("tenant", TENANT_REPRESENTATIVES)):
        cases += [(f"{claim}:{kind}", replace(base, **{claim: value})) for kind, value in table.items()
                  if value != getattr(base, claim)]
    cases += [(f"scope_form:{form}", replace(base, scope_form=form)) for form in SCOPE_FORMS if form != "list"]
    cases += [(f"grant:{kind}", replace(base, scopes=scopes)) for kind, scopes in grant_classes(required, models).items()
              if kind != "exact"]
    return cases


def valid_claims_cases(models: Sequence[str]) -> st.SearchStrategy[ClaimsCase]:
    """Well-formed, unexpired, right-audience, own-tenant claims with any scope set."""
    return st.builds(ClaimsCase, exp=_rel("valid", 60, 3600), iat=_rel("now", -1, 0), aud=st.just(Claim("right")),
                     tenant=st.just(Claim("own")), scopes=scope_sets(models), scope_form=st.just("list"))


# -- tampering ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tamper:
    """One change to a signed token; :func:`apply_tamper` performs it."""

    kind: str
    part: int = 0
    position: int = 0
    char: str = "A"
    alg: Any = None
    resign: bool = False


TAMPER_KINDS = ("change_char", "truncate", "std_alphabet", "padding", "junk_char", "alg_header", "wrong_secret",
                "swap_payload", "swap_signature", "drop_segment", "extra_segment", "whitespace", "empty",
                "trailing_bits")


def tampers(parts: int = 3) -> st.SearchStrategy[Tamper]:
    """Every tampering class, on any part and any position."""
    part = st.integers(0, parts - 1)
    position = st.integers(0, 10_000)
    return st.one_of(
        st.builds(Tamper, st.just("change_char"), part, position, st.sampled_from(B64URL + "+/=.!")),
        st.builds(Tamper, st.just("truncate"), part, position),
        st.builds(Tamper, st.just("std_alphabet"), part),
        st.builds(Tamper, st.just("padding"), part, st.integers(1, 3)),
        st.builds(Tamper, st.just("junk_char"), part, position, st.sampled_from("!$ \t\n~*")),
        st.builds(Tamper, st.just("alg_header"), alg=st.sampled_from(["none", "HS256", "sha1", "sha512", "", None,
                                                                        "SHA256", 256]),
                  resign=st.booleans()),
        st.just(Tamper("wrong_secret")),
        st.just(Tamper("swap_payload")),
        st.just(Tamper("swap_signature")),
        st.builds(Tamper, st.just("drop_segment"), part),
        st.builds(Tamper, st.just("extra_segment"), part),
        st.builds(Tamper, st.just("whitespace"), part),
        st.just(Tamper("empty")),
        st.builds(Tamper, st.just("trailing_bits"), st.just(parts - 1), st.integers(1, 3)),
    )


def _std(text: str) -> str:
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    return base64.b64encode(raw).decode("ascii")


def apply_tamper(token: str, tamper: Tamper, *, secret: str, other_token: str,
                 resign: Any = None) -> str:
    """The token after ``tamper``; ``other_token`` is a second valid token (for swaps).

    ``resign(head, body) -> signature`` re-signs for ``alg_header`` (the token format's own
    signing); by default the agent-token HMAC with ``secret``.
    """
    parts = token.split(".")
    other = other_token.split(".")
    index = min(tamper.part, len(parts) - 1)
    piece = parts[index]

    def sign(signing_parts: list[str], key: str) -> str:
        if resign is not None:
            return resign(signing_parts, key)
        return b64url(hmac.new(key.encode(), ".".join(signing_parts).encode(), hashlib.sha256).digest())

    kind = tamper.kind
    if kind == "change_char" and piece:
        at = tamper.position % len(piece)
        parts[index] = piece[:at] + tamper.char + piece[at + 1:]
    elif kind == "truncate":
        return token[: tamper.position % max(1, len(token))]
    elif kind == "std_alphabet":
        parts[index] = _std(piece)
    elif kind == "padding":
        parts[index] = piece + "=" * tamper.position
    elif kind == "junk_char":
        at = tamper.position % (len(piece) + 1)
        parts[index] = piece[:at] + tamper.char + piece[at:]
    elif kind == "alg_header":
        header = {"typ": "AKT"} if tamper.alg is None else {"alg": tamper.alg, "typ": "AKT"}
        parts[0] = b64url(json.dumps(header, separators=(",", ":")).encode())
        if tamper.resign:
            parts[-1] = sign(parts[:-1], secret)
    elif kind == "wrong_secret":
        parts[-1] = sign(parts[:-1], OTHER_SECRET)
    elif kind == "swap_payload":
        parts[-2] = other[-2]
    elif kind == "swap_signature":
        parts[-1] = other[-1]
    elif kind == "drop_segment":
        del parts[index]
    elif kind == "extra_segment":
        parts.insert(index + 1, parts[index])
    elif kind == "whitespace":
        parts[index] = piece + " "
    elif kind == "empty":
        return ""
    elif kind == "trailing_bits":
        raw = base64.urlsafe_b64decode(parts[-1] + "=" * (-len(parts[-1]) % 4))
        spare = (6 - (len(raw) * 8) % 6) % 6  # bits of the last character that carry no data
        if spare:
            last = B64URL.index(parts[-1][-1])
            parts[-1] = parts[-1][:-1] + B64URL[last ^ (tamper.position % (1 << spare) or 1)]
    return ".".join(parts)


# -- approval grants --------------------------------------------------------------------------

APPROVAL_MISMATCHES = ("none", "rejected", "expired", "other_tool", "other_tenant", "other_principal",
                       "other_arguments", "missing")


@dataclass(frozen=True)
class ApprovalCase:
    """An approval grant: which mismatch it has, and an optional tampering of its token."""

    mismatch: str
    tamper: Tamper | None


def approval_cases() -> st.SearchStrategy[ApprovalCase]:
    return st.builds(ApprovalCase, st.sampled_from(APPROVAL_MISMATCHES), st.none() | tampers(parts=2))


def claims_json(claims: Mapping[str, Any]) -> str:
    return json.dumps(claims, sort_keys=True, allow_nan=True, default=str)
