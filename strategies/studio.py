"""Hostile inputs for the browser consoles (Aksara's admin and Studio): redirect targets and origins.

Hostile classes reached:
- off-site redirect targets in the spellings browsers resolve to another host: absolute URLs,
  scheme-relative ``//host``, backslash forms (``/\\host``, ``\\\\host``: browsers read ``\\`` as
  ``/`` in http(s) URLs), tab/newline/space-padded forms (browsers drop ASCII tab and newline and
  trim C0 controls and spaces), ``scheme:host`` without slashes, userinfo tricks
  (``https://testserver@evil``), percent-encoded slashes, dot segments, and script URLs;
- foreign Origin and Referer values: another site, a look-alike suffix or prefix of the
  server's own origin, another scheme or port, ``null`` (sandboxed frames, redirects);
- hostile values of a console route's path parameters (a model name, a request or session id): the
  values the console itself lists respelled (case, padding, NUL, suffixes, dunder and dotted names),
  identifiers of every hostile class (``strategies.identifiers``) and every hostile scalar class
  (``strategies.query.path_ids``: SQL, wildcards, NUL, lone surrogates, numeric edges, huge strings).

And every configuration of the optional surfaces (:class:`MountCase`: debug, enable_admin, enable_studio,
studio_expose_in_production, mcp_enabled).

No I/O: the properties in ``fuzz/properties/studio.py`` send them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from hypothesis import strategies as st

EVIL_HOST = "evil.example"

#: Every spelling of an off-site target: each is one sweep combination.
REDIRECT_TARGETS: tuple[str, ...] = (
    f"https://{EVIL_HOST}/",
    f"http://{EVIL_HOST}",
    f"//{EVIL_HOST}/",
    f"///{EVIL_HOST}/",
    f"/\\{EVIL_HOST}/",
    f"\\\\{EVIL_HOST}/",
    f"\\/{EVIL_HOST}/",
    f"/\t/{EVIL_HOST}/",
    f"/\n/{EVIL_HOST}/",
    f" //{EVIL_HOST}/",
    f"\x01//{EVIL_HOST}/",
    f"https:{EVIL_HOST}",
    f"https:/{EVIL_HOST}",
    f"https://testserver@{EVIL_HOST}/",
    f"https://testserver.{EVIL_HOST}/",
    f"/%2F{EVIL_HOST}/",
    f"/%5C{EVIL_HOST}/",
    f"/admin/../..//{EVIL_HOST}/",
    f"//{EVIL_HOST}%2F@testserver/",
    "javascript:alert(document.domain)",
    f"data:text/html,<script>location='https://{EVIL_HOST}'</script>",
)

#: Query parameter names consoles read a post-action destination from.
REDIRECT_PARAMS: tuple[str, ...] = ("next", "redirect", "redirect_to", "return_to", "url", "continue")

#: Foreign origins a cross-site page would send (the server is ``http://testserver``).
HOSTILE_ORIGINS: tuple[str, ...] = (
    f"https://{EVIL_HOST}",
    "http://testserver.evil.example",
    "http://eviltestserver",
    "https://testserver",
    "http://testserver:8443",
    "null",
)


def _noise() -> st.SearchStrategy[str]:
    return st.sampled_from(["", " ", "\t", "\n", "\r", "\x00", "\x1f", "/", "\\", "%09", "%0a", "%2f", "%5c", "."])


def redirect_targets() -> st.SearchStrategy[str]:
    """An off-site target: one of :data:`REDIRECT_TARGETS`, or one padded and re-slashed with noise."""
    base = st.sampled_from(REDIRECT_TARGETS)
    slashes = st.text(alphabet="/\\", min_size=2, max_size=4)
    built = st.builds(lambda pre, sl, mid, post: f"{pre}{sl}{mid}{EVIL_HOST}{post}",
                      _noise(), slashes, _noise(), st.sampled_from(["", "/", "/x?y=1", "#f", "%2f", ":443/"]))
    return st.one_of(base, built)


def hostile_origins() -> st.SearchStrategy[str]:
    """A foreign Origin value."""
    return st.sampled_from(HOSTILE_ORIGINS)


#: Hostile path-parameter values, one per class: each is one sweep combination's value.
HOSTILE_SEGMENTS: tuple[str, ...] = (
    "' OR '1'='1",
    "..",
    "__class__",
    "__init__.__globals__",
    "all\x00",
    "x" * 5000,
    "%00",
    "Model\u0130",
    "\U0001f600",
    "-1",
    "1e309",
    "<script>alert(1)</script>",
    "${7*7}{{7*7}}",
    " ",
    "\ud800",
)


def _fits(value: str) -> bool:
    return "/" not in value and "?" not in value and "#" not in value and 0 < len(value) <= 20_000


def respellings(known: str) -> st.SearchStrategy[str]:
    """A value the console lists, as it is and respelled: case, padding, NUL, suffix and prefix, dunder and dotted
    forms."""
    return st.sampled_from([known, known.lower(), known.upper(), known.swapcase(), f" {known}", f"{known} ", f"{known}\x00",
                            f"{known}\x00x", f"{known}s", f"{known}.__class__", f"__{known}__", f"{known}'",
                            f"{known};", f"{known}%", f"{known}\u0301", known * 50])


def path_segments(known: Sequence[str] = ()) -> st.SearchStrategy[str]:
    """A hostile value for one path parameter of a console route: a listed value respelled, a hostile identifier,
    a hostile scalar (SQL, NUL, surrogates, numeric edges, huge strings) or one of :data:`HOSTILE_SEGMENTS`."""
    from strategies.identifiers import hostile_identifiers
    from strategies.query import path_ids

    listed = [k for k in known if k]
    options = [st.sampled_from(HOSTILE_SEGMENTS), hostile_identifiers(), path_ids([])]
    if listed:
        options.insert(0, st.sampled_from(listed).flatmap(respellings))
    return st.one_of(*options).filter(_fits)


@dataclass(frozen=True)
class MountCase:
    """How an app is configured for its optional surfaces: the ``Aksara(...)`` arguments ``debug`` and
    ``enable_admin``, and the settings ``enable_studio``, ``studio_expose_in_production`` and ``mcp_enabled``."""

    debug: bool
    enable_admin: bool | None
    enable_studio: bool
    studio_expose_in_production: bool
    mcp_enabled: bool


def mount_cases() -> list[MountCase]:
    """Every configuration of the optional surfaces (2 x 3 x 2 x 2 x 2 = 48): small enough to sweep whole."""
    import itertools

    return [MountCase(*values) for values in itertools.product(
        (False, True), (None, True, False), (False, True), (False, True), (False, True))]
