"""What an oracle may know besides the exchange: the target's metadata and secrets."""

from __future__ import annotations

from dataclasses import dataclass, field

from targets.base import TargetInfo


@dataclass(frozen=True)
class OracleContext:
    """Target facts oracles need (secrets to look for, which paths are REST, MCP)."""

    info: TargetInfo
    extra_secrets: tuple[str, ...] = field(default_factory=tuple)

    def __repr__(self) -> str:
        return f"<OracleContext {self.info.name}/{self.info.profile}>"

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (*self.info.secrets, *self.extra_secrets) if s and len(s) >= 8)

    def is_mcp(self, path: str) -> bool:
        mcp = self.info.mcp_path
        return bool(mcp) and (path == mcp.rstrip("/") or path.startswith(mcp.rstrip("/") + "/"))
