"""The permission classes a viewset route declares, as data.

Aksara checks a generated route's ``ModelViewSet.permission_classes`` (every entry must pass),
and a custom ``@action`` its own ``permission_classes`` when the decorator names them (an
explicit list replaces the viewset's; ``None`` inherits it). An empty list means no permission
class runs; Aksara's docs add that PolicyEngine, field and tenant rules still apply.

:func:`describe` turns the declared classes and instances into :class:`PermissionSpec` trees:
the class name, whether Aksara ships it (``aksara.permissions``), its ``ai_allow``, its denial
``message``, an ``OperationPermission``'s allowed operations and the parts of an ``AND``/``OR``.
Nothing here evaluates a permission: that is the oracle's model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

BUILTIN_MODULE = "aksara.permissions"


@dataclass(frozen=True)
class PermissionSpec:
    """One declared permission: a class (or instance) as Aksara will apply it."""

    name: str  # the class name, e.g. "IsAdminUser"
    builtin: bool  # shipped by Aksara (aksara.permissions); otherwise the application's own
    ai_allow: bool = True
    message: str = ""
    allow: tuple[str, ...] = ()  # OperationPermission(allow=[...])
    parts: tuple["PermissionSpec", ...] = ()  # AND / OR
    qualname: str = ""  # module.qualname, to tell two application classes of one name apart
    #: the class overrides ``has_object_permission``: on a detail ``@action`` Aksara (0.7.2) then loads the row by
    #: its pk and decides on it before the handler runs (api/actions.md)
    object_level: bool = False

    def messages(self) -> set[str]:
        """Every denial message this permission (or one of its parts) can answer with."""
        found = {self.message} if self.message else set()
        for part in self.parts:
            found |= part.messages()
        if self.name == "OR" and self.parts:
            found.add(" OR ".join(p.message for p in self.parts))
        return found


def describe_one(permission: Any) -> PermissionSpec:
    """A permission class or instance as data."""
    cls = permission if isinstance(permission, type) else type(permission)
    instance = permission if not isinstance(permission, type) else None
    module = getattr(cls, "__module__", "")
    parts = tuple(describe_one(p) for p in (getattr(instance, "permissions", ()) or ())) if instance else ()
    allow = tuple(sorted(getattr(instance, "allow", ()) or ())) if instance is not None else ()
    ai_allow = getattr(instance if instance is not None else cls, "ai_allow", True)
    message = getattr(instance if instance is not None else cls, "message", "")
    return PermissionSpec(name=cls.__name__, builtin=module == BUILTIN_MODULE, ai_allow=bool(ai_allow),
                          message=str(message or ""), allow=allow, parts=parts,
                          qualname=f"{module}.{getattr(cls, '__qualname__', cls.__name__)}",
                          object_level=_overrides_object_permission(cls))


def _overrides_object_permission(cls: type) -> bool:
    """Whether ``cls`` has its own ``has_object_permission`` (the test Aksara's action wrapper makes)."""
    try:
        from aksara.permissions import BasePermission
    except ImportError:
        return False
    base = getattr(BasePermission, "has_object_permission", None)
    return base is not None and getattr(cls, "has_object_permission", base) is not base


def describe(permissions: Iterable[Any] | None) -> tuple[PermissionSpec, ...]:
    """Declared permission classes/instances (a list, as on a viewset or ``@action``) as data."""
    return tuple(describe_one(p) for p in (permissions or ()))


def action_permissions(meta: dict[str, Any], viewset_permissions: tuple[PermissionSpec, ...]) -> tuple[PermissionSpec, ...]:
    """What Aksara applies to an ``@action``: its own list when it names one (even empty), else the viewset's."""
    configured = meta.get("permission_classes")
    return viewset_permissions if configured is None else describe(configured)
