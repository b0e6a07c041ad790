"""Hostile inputs for the browser consoles (Aksara's admin and Studio): redirect targets and origins.

Hostile classes reached:
- off-site redirect targets in the spellings browsers resolve to another host: absolute URLs,
  scheme-relative ``//host``, backslash forms (``/\\host``, ``\\\\host``: browsers read ``\\`` as
  ``/`` in http(s) URLs), tab/newline/space-padded forms (browsers drop ASCII tab and newline and
  trim C0 controls and spaces), ``scheme:host`` without slashes, userinfo tricks
  (``https://testserver@evil``), percent-encoded slashes, dot segments, and script URLs;
- foreign Origin and Referer values: another site, a look-alike suffix or prefix of the
  server's own origin, another scheme or port, ``null`` (sandboxed frames, redirects).

No I/O: the properties in ``fuzz/properties/studio.py`` send them.
"""

from __future__ import annotations

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
