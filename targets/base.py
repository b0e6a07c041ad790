"""The Target protocol: what the properties know about the system they fuzz.

Properties never import a target's internals. They read a :class:`TargetInfo`
(resources with their fields and policies, principals with their credentials,
tenants) and talk to the app through :class:`targets.client.TargetClient`.
:func:`describe_viewset` derives a :class:`ResourceSpec` from any Aksara
``ModelViewSet`` class, so an application's own viewsets are described the
same way as the reference app's.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence

# Aksara field class name -> the suite's field kind
FIELD_KINDS = {
    "String": "string", "Text": "text", "Email": "email", "URL": "url", "Slug": "slug",
    "Integer": "integer", "BigInteger": "bigint", "SmallInteger": "smallint",
    "PositiveInteger": "integer", "PositiveSmallInteger": "smallint",
    "Decimal": "decimal", "Float": "float", "Boolean": "boolean",
    "Date": "date", "DateTime": "datetime", "Time": "time", "UUID": "uuid",
    "JSON": "json", "Array": "array", "Enum": "enum", "ForeignKey": "fk", "OneToOne": "fk",
}
SERVER_CONTROLLED = frozenset({"id", "created_at", "updated_at", "tenant_id"})
# integer field kind -> its bound (PostgreSQL smallint, integer, bigint): a value fits when -bound <= value < bound
INTEGER_BOUNDS = {"smallint": 2**15, "integer": 2**31, "bigint": 2**63}
INTEGER_KINDS = frozenset(INTEGER_BOUNDS)
NUMERIC_KINDS = INTEGER_KINDS | {"decimal", "float"}
TEXT_KINDS = frozenset({"string", "text", "email", "url", "slug"})  # free text: LIKE lookups, text ranges


class UnknownPrincipal(KeyError):
    """A principal the target does not serve (another target, or a release that lacks what it is built from)."""

    def __str__(self) -> str:
        return f"the target serves no principal {self.args[0]!r}"


@dataclass(frozen=True)
class FieldSpec:
    """One model field and the policies attached to it."""

    name: str
    kind: str
    column: str
    nullable: bool = False
    unique: bool = False
    has_default: bool = False
    choices: tuple[Any, ...] = ()
    max_length: int | None = None
    max_digits: int | None = None
    decimal_places: int | None = None
    read_only: bool = False
    ai_sensitive: bool = False
    ai_writable: bool = True
    tenant: bool = False
    server_controlled: bool = False
    fk_target: str | None = None
    # read-only in the viewset's create/update serializer (Meta.read_only_fields) though the model lets
    # clients write it: Aksara's serializer guide says such input is omitted from validation (ignored)
    serializer_read_only: bool = False

    @property
    def input_key(self) -> str:
        """The key a client writes this field under: the column for a foreign key, else the field name."""
        return self.column if self.kind == "fk" else self.name

    @property
    def writable_by_clients(self) -> bool:
        return not (self.read_only or self.tenant or self.server_controlled or self.serializer_read_only)


@dataclass(frozen=True)
class ActionSpec:
    """A custom ``@action`` route of a viewset."""

    name: str
    detail: bool
    methods: tuple[str, ...]
    path: str
    permissions: tuple[Any, ...] = ()  # targets.permissions.PermissionSpec: what Aksara applies to it
    ai_exposed: bool = True  # the action's own ai_exposed (the viewset's applies too)


@dataclass(frozen=True)
class RelationWrite:
    """A route that replaces a row's many-to-many relation: ``POST path`` (``{pk}``: the row) with the body
    ``{field: [related ids]}``; the relation is stored in ``table`` (``source_column`` the row,
    ``target_column`` the related row). The target declares it (:func:`relation_write`)."""

    field: str
    related: str  # the related resource's name
    path: str
    table: str
    source_column: str
    target_column: str


def relation_write(model: type, field: str, related: str, path: str) -> RelationWrite:
    """The :class:`RelationWrite` of ``model``'s many-to-many ``field`` served at ``path``."""
    m2m = model._m2m_fields[field]
    return RelationWrite(field, related, path, str(m2m.join_table_name), str(m2m.source_column),
                         str(m2m.target_column))


@dataclass(frozen=True)
class SerializerSpec:
    """A ``ModelSerializer`` of a resource's model that the app declares (on the viewset, or beside it in the
    viewset's module), as its ``Meta`` declares it: what its documented API (``is_valid``/``validated_data``,
    ``.data``) may take and must give."""

    name: str  # module:qualname, resolved on the live app by :func:`serializer_classes`
    input_fields: tuple[str, ...]  # keys its generated input model validates
    read_only: tuple[str, ...]  # Meta.read_only_fields
    output_keys: tuple[str, ...]  # keys ``.data`` carries: the declared model fields, a foreign key under its column
    optional_keys: tuple[str, ...] = ()  # keys ``.data`` may add: Meta.expand relations, many-to-many ids


@dataclass(frozen=True)
class ResourceSpec:
    """A model exposed through a generated viewset."""

    name: str
    table: str
    prefix: str
    fields: tuple[FieldSpec, ...]
    tenant_scoped: bool
    paginator: str  # limit_offset | page_number | cursor | custom
    page_max: int
    page_default: int
    filter_backend: bool
    filterable_fields: tuple[str, ...]
    router_filter_fields: tuple[str, ...]
    ordering_fields: tuple[str, ...]
    default_ordering: tuple[str, ...]
    search_fields: tuple[str, ...]
    actions: tuple[ActionSpec, ...] = ()
    ai_exposed: bool = True
    stream_enabled: bool = True
    uses_serializer: bool = False
    permissions: tuple[Any, ...] = ()  # targets.permissions.PermissionSpec: the viewset's permission_classes
    create_serializer: bool = False  # a create_serializer_class handles POST
    update_serializer: bool = False  # an update_serializer_class handles PATCH
    soft_delete: bool = False  # the model is an aksara.contrib.soft_delete.SoftDeleteModel
    trash_path: str | None = None  # a route listing the caller's soft-deleted rows (the target declares it)
    # a POST route creating a JSON list of create bodies as one batch (the target declares it)
    bulk_create_path: str | None = None
    join_tables: tuple[tuple[str, str], ...] = ()  # (junction table, other model) of each many-to-many field
    relation_writes: tuple[RelationWrite, ...] = ()  # routes replacing a many-to-many relation (target-declared)
    # the app's serializers of this model (:func:`serializer_classes`), then the suite's (:func:`suite_serializers`)
    serializers: tuple[SerializerSpec, ...] = ()

    def relation_write_at(self, path: str | None) -> RelationWrite | None:
        """The declared relation write served at ``path`` (a template), or None."""
        return next((r for r in self.relation_writes if r.path == path), None)

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    @property
    def list_path(self) -> str:
        return self.prefix.rstrip("/") + "/"

    def detail_path(self, pk: str) -> str:
        return f"{self.prefix.rstrip('/')}/{pk}"

    def owns(self, path: str) -> bool:
        """Whether ``path`` is this resource's prefix or lies under it."""
        prefix = self.prefix.rstrip("/")
        return path == prefix or path.startswith(prefix + "/")


@dataclass(frozen=True)
class PrincipalSpec:
    """A caller the target knows how to authenticate."""

    name: str
    kind: str  # anonymous | user | staff | ai_agent | system
    tenant: str | None = None  # tenant label ("A", "B") or None
    headers: tuple[tuple[str, str], ...] = ()
    scopes: tuple[str, ...] = ()

    @property
    def is_ai(self) -> bool:
        return self.kind == "ai_agent"


@dataclass
class TargetInfo:
    """Everything a property may know about a target."""

    name: str
    profile: str
    resources: tuple[ResourceSpec, ...]
    principals: tuple[PrincipalSpec, ...]
    tenants: dict[str, str] = field(default_factory=dict)
    health_path: str = "/health"
    mcp_path: str | None = None
    public_paths: tuple[str, ...] = ()  # paths (templates) any caller may use with any method
    public_routes: tuple[tuple[str, str], ...] = ()  # (method, path template) documented as public
    secrets: tuple[str, ...] = ()
    # Callers of the browser consoles only (admin/Studio session cookies, Studio's own bearer token), kept apart
    # from ``principals``: the API families sweep ``principals``; the Studio/admin family sweeps both.
    # Kinds: ``staff`` or ``user`` (a session cookie of such an account), ``console_token`` (Studio's token).
    console_principals: tuple[PrincipalSpec, ...] = ()
    # The prefixes under which admin and Studio are mounted, and the Studio origin the app allows.
    admin_prefixes: tuple[str, ...] = ()
    studio_allowed_origins: tuple[str, ...] = ()

    def principal(self, name: str) -> PrincipalSpec:
        for spec in self.principals + self.console_principals:
            if spec.name == name:
                return spec
        raise UnknownPrincipal(name)

    def is_public(self, method: str, path: str) -> bool:
        return path in self.public_paths or (method.upper(), path) in self.public_routes

    def resource(self, name: str) -> ResourceSpec:
        for spec in self.resources:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def resource_at(self, path: str) -> ResourceSpec | None:
        """The resource that owns ``path`` (the longest prefix wins), or None."""
        owners = [r for r in self.resources if r.owns(path)]
        return max(owners, key=lambda r: len(r.prefix.rstrip("/")), default=None)


class Target(Protocol):
    """A fuzzable Aksara application.

    ``build_app`` returns the ASGI app for a database DSN; ``prepare_database``
    creates the schema and seed data on a fresh database (admin connection);
    ``app_dsn`` says how the app itself connects (e.g. a restricted role).
    """

    info: TargetInfo

    def build_app(self, dsn: str) -> Any: ...

    async def prepare_database(self, admin_conn: Any, server: Any, database: str) -> None: ...

    def app_dsn(self, server: Any, database: str) -> str: ...


def _kind(field_obj: Any) -> str:
    for cls in type(field_obj).__mro__:
        if cls.__name__ in FIELD_KINDS:
            return FIELD_KINDS[cls.__name__]
    return "other"


def describe_field(name: str, field_obj: Any, tenant_scoped: bool) -> FieldSpec:
    kind = _kind(field_obj)
    column = getattr(field_obj, "db_column_name", None) if kind == "fk" else name
    target = None
    if kind == "fk":
        to = getattr(field_obj, "_to", None) or getattr(field_obj, "to", None) or getattr(field_obj, "related_model", None)
        target = to if isinstance(to, str) else getattr(to, "__name__", None)
    choices = getattr(field_obj, "choices", None) or ()
    if choices and isinstance(choices[0], (tuple, list)):
        choices = tuple(c[0] for c in choices)
    return FieldSpec(
        name=name,
        kind=kind,
        column=str(column or name),
        nullable=bool(getattr(field_obj, "nullable", False)),
        unique=bool(getattr(field_obj, "unique", False)),
        has_default=getattr(field_obj, "default", None) is not None,
        choices=tuple(choices),
        max_length=getattr(field_obj, "max_length", None),
        max_digits=getattr(field_obj, "max_digits", None),
        decimal_places=getattr(field_obj, "decimal_places", None),
        read_only=bool(getattr(field_obj, "read_only", False)),
        ai_sensitive=bool(getattr(field_obj, "ai_sensitive", False)),
        ai_writable=bool(getattr(field_obj, "ai_agent_writable", True)),
        tenant=tenant_scoped and name == "tenant_id",
        server_controlled=name in SERVER_CONTROLLED,
        fk_target=target,
    )


SERIALIZER_ATTRIBUTES = ("list_serializer_class", "retrieve_serializer_class", "create_serializer_class",
                         "update_serializer_class")


def serializer_name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def serializer_classes(viewset_cls: type) -> list[type]:
    """The ``ModelSerializer`` classes of ``viewset_cls``'s model the app declares: the viewset's own
    (list/retrieve/create/update) and those defined in the viewset's module (used by its actions)."""
    import sys

    try:
        from aksara.api import ModelSerializer
    except ImportError:
        return []
    model = viewset_cls.model
    found = [getattr(viewset_cls, attr, None) for attr in SERIALIZER_ATTRIBUTES]
    found += list(vars(sys.modules.get(viewset_cls.__module__, object)).values())
    out: list[type] = []
    for cls in found:
        if (isinstance(cls, type) and issubclass(cls, ModelSerializer) and cls is not ModelSerializer
                and getattr(getattr(cls, "Meta", None), "model", None) is model and cls not in out):
            out.append(cls)
    return out


#: Serializers the suite builds for a model from the Meta forms the serializer guide documents (``"__all__"``, and
#: ``"__all__"`` with ``exclude``), by :attr:`SerializerSpec.name`: a model's whole representation is judged even
#: when the app declares no serializer of it.
SUITE_SERIALIZERS: dict[str, type] = {}


def suite_serializers(model: type) -> list[type]:
    """``model``'s ``fields = "__all__"`` serializer, and one excluding a field (an ``ai_sensitive`` one if the
    model has it, else its last field), built once per model."""
    try:
        from aksara.api import ModelSerializer
    except ImportError:
        return []
    names = [n for n in model._fields if n != "id"]
    hidden = [n for n in names if getattr(model._fields[n], "ai_sensitive", False)] or names[-1:]
    built = []
    for label, meta in (("All", {"fields": "__all__"}), ("Exclude", {"fields": "__all__", "exclude": hidden[:1]})):
        cls_name = f"Fuzz{label}{model.__name__}Serializer"
        name = f"{__name__}:{cls_name}@{model.__module__}"
        if name not in SUITE_SERIALIZERS:
            SUITE_SERIALIZERS[name] = type(cls_name, (ModelSerializer,), {
                "__module__": f"{__name__}.{model.__module__}",  # Aksara caches a serializer's models by module.name
                "Meta": type("Meta", (), {"model": model, **meta})})
        built.append(SUITE_SERIALIZERS[name])
    return built


def describe_serializer(cls: type, name: str | None = None) -> SerializerSpec:
    """What ``cls``'s ``Meta`` declares (Aksara's serializer guide): ``fields`` (a list or ``"__all__"``) minus
    ``exclude`` selects the representation, ``read_only_fields`` are omitted from input validation."""
    meta = cls.Meta
    model = meta.model
    declared = getattr(meta, "fields", "__all__")
    names = list(model._fields) if declared == "__all__" else list(declared or ())
    exclude = set(getattr(meta, "exclude", None) or ())
    fks = getattr(model, "_fk_fields", None) or {}
    keys = [getattr(model._fields[n], "db_column_name", None) or n if n in fks else n
            for n in names if n not in exclude and n in model._fields]
    expand = getattr(meta, "expand", None) or ()
    optional = [*expand, *(getattr(model, "_m2m_fields", None) or {})]
    try:
        inputs = tuple(cls().get_input_model().model_fields)
    except Exception:  # noqa: BLE001 - a serializer the release cannot build: nothing to validate against
        inputs = ()
    return SerializerSpec(name or serializer_name(cls), inputs, tuple(getattr(meta, "read_only_fields", None) or ()),
                          tuple(keys), tuple(k for k in optional if k not in keys))


def describe_viewset(viewset_cls: type) -> ResourceSpec:
    """Describe an Aksara ``ModelViewSet`` class from its own metadata."""
    from aksara.api.actions import get_action_metadata
    from aksara.api import filters as aksara_filters
    from aksara.api import pagination as aksara_pagination
    from aksara.tenancy import is_tenant_model

    from targets import permissions as declared

    # Older releases lack some paginators and call the allowlist backend DjangoFilterBackend.
    never = type("Absent", (), {})
    LimitOffsetPagination = getattr(aksara_pagination, "LimitOffsetPagination", never)
    PageNumberPagination = getattr(aksara_pagination, "PageNumberPagination", never)
    CursorPagination = getattr(aksara_pagination, "CursorPagination", never)
    allowlist_backends = tuple(getattr(aksara_filters, n) for n in ("AksaraFilterBackend", "DjangoFilterBackend")
                               if hasattr(aksara_filters, n))

    model = viewset_cls.model
    tenant_scoped = is_tenant_model(model)
    fields = tuple(describe_field(n, f, tenant_scoped) for n, f in model._fields.items())
    prefix = viewset_cls.prefix or f"/{model.__tablename__}"
    pagination = viewset_cls.pagination_class
    if pagination is None:
        paginator, page_max, page_default = "limit_offset", viewset_cls.max_limit, viewset_cls.default_limit
    elif issubclass(pagination, LimitOffsetPagination):
        paginator, page_max, page_default = "limit_offset", pagination.max_limit, pagination.default_limit
    elif issubclass(pagination, PageNumberPagination):
        paginator, page_max, page_default = "page_number", pagination.max_page_size, pagination.default_page_size
    elif issubclass(pagination, CursorPagination):
        paginator, page_max, page_default = "cursor", pagination.max_page_size, pagination.default_page_size
    else:
        paginator, page_max, page_default = "custom", viewset_cls.max_limit, viewset_cls.default_limit
    backends = list(viewset_cls.filter_backends or [])
    has_filter_backend = any(isinstance(b, type) and issubclass(b, allowlist_backends) for b in backends)
    ordering = viewset_cls.ordering
    if isinstance(ordering, str):
        ordering = [ordering]
    ordering_fields = viewset_cls.ordering_fields
    if ordering_fields == "__all__":
        ordering_fields = list(model._fields)
    permissions = declared.describe(viewset_cls.permission_classes)
    actions = []
    for attr in dir(viewset_cls):
        method = getattr(viewset_cls, attr, None)
        meta = get_action_metadata(method) if callable(method) else None
        if not meta:
            continue
        url_path = meta.get("path") or attr
        detail = bool(meta.get("detail"))
        path = f"{prefix.rstrip('/')}/{{pk}}/{url_path}" if detail else f"{prefix.rstrip('/')}/{url_path}"
        methods = tuple(m.upper() for m in (meta.get("methods") or ["get"]))
        actions.append(ActionSpec(attr, detail, methods, path, declared.action_permissions(meta, permissions),
                                  bool(meta.get("ai_exposed", True))))
    serializer_ro: set[str] = set()
    for attr in ("create_serializer_class", "update_serializer_class"):
        serializer = getattr(viewset_cls, attr, None)
        serializer_ro |= set(getattr(getattr(serializer, "Meta", None), "read_only_fields", ()) or ())
    fields = tuple(
        dataclasses.replace(f, serializer_read_only=True)
        if f.name in serializer_ro and not (f.read_only or f.tenant or f.server_controlled) else f
        for f in fields)
    instance_filter_fields = tuple(model._fields)
    try:
        instance_filter_fields = tuple(viewset_cls.get_filter_fields(viewset_cls.__new__(viewset_cls)))
    except Exception:  # noqa: BLE001 - an override needing instance state: fall back to all fields
        pass
    return ResourceSpec(
        name=model.__name__,
        table=model.__tablename__,
        prefix=prefix,
        fields=fields,
        tenant_scoped=tenant_scoped,
        paginator=paginator,
        page_max=int(page_max),
        page_default=int(page_default),
        filter_backend=has_filter_backend,
        filterable_fields=tuple(getattr(viewset_cls, "filterable_fields", []) or ()),
        router_filter_fields=instance_filter_fields,
        ordering_fields=tuple(ordering_fields or ()),
        default_ordering=tuple(ordering or ()),
        search_fields=tuple(viewset_cls.search_fields or ()),
        actions=tuple(actions),
        ai_exposed=bool(viewset_cls.ai_exposed),
        stream_enabled=bool(viewset_cls.stream_enabled),
        uses_serializer=any(
            getattr(viewset_cls, f"{a}_serializer_class", None) is not None
            for a in ("list", "retrieve", "create", "update")
        ),
        permissions=permissions,
        create_serializer=getattr(viewset_cls, "create_serializer_class", None) is not None,
        update_serializer=getattr(viewset_cls, "update_serializer_class", None) is not None,
        soft_delete=bool(getattr(model, "_soft_delete_enabled", False)),
        join_tables=_join_tables(model),
        serializers=tuple(describe_serializer(c) for c in serializer_classes(viewset_cls)) + tuple(
            describe_serializer(c, next(k for k, v in SUITE_SERIALIZERS.items() if v is c))
            for c in suite_serializers(model)),
    )


def _join_tables(model: type) -> tuple[tuple[str, str], ...]:
    """(junction table, other model's name) of each many-to-many field of ``model``."""
    tables = []
    for m2m in (getattr(model, "_m2m_fields", None) or {}).values():
        try:
            other = m2m.to_model
            tables.append((str(m2m.join_table_name), getattr(other, "__name__", str(other))))
        except Exception:  # noqa: BLE001 - an unresolved relation names no table
            continue
    return tuple(tables)


def principal_names(info: TargetInfo, kinds: Sequence[str] | None = None) -> list[str]:
    return [p.name for p in info.principals if kinds is None or p.kind in kinds]
