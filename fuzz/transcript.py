"""Request transcripts (moved to :mod:`targets.transcript`; this name re-exports them)."""

from targets.transcript import Exchange, curl_script

__all__ = ["Exchange", "curl_script"]
