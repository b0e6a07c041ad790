"""Reference app viewsets: one per paginator, every filter backend, actions and a serializer.

- ``/tickets``: limit/offset pagination, ``AksaraFilterBackend`` + ``SearchFilter`` +
  ``OrderingFilter``, authenticated callers only, a staff-only ``close`` detail action
  and a ``summary`` collection action.
- ``/comments``: page-number pagination, filters and ordering, authenticated only, and its lifecycle
  events as server-sent events at ``GET /comments/stream`` (``stream_enabled``, Aksara's default; the
  stream applies the viewset's permissions and delivers a tenant's events to that tenant only).
  Three more detail actions use Aksara's other permission forms: ``history`` (GET) adds
  ``IsActiveUser`` and ``IsOwnerOrReadOnly`` (an object permission: Aksara loads the row and checks
  it before the action runs), ``reopen`` (POST) is ``IsAuthenticated() & IsAdminUser()`` and hidden
  from agents (``ai_exposed=False``), and the collection action ``status-choices`` (a custom path)
  takes no request parameter (Aksara injects one for its checks).
- ``/categories``: cursor pagination (ordered by id, as Aksara's docs require), a
  ``ModelSerializer``, readable by anyone, writable by staff only.
- ``/catalog``: a second view of the same categories in Aksara's own classes — reads by anyone,
  writes by staff (``OperationPermission(allow=["read"]) | IsAdminUser()``), no agents (``DenyAI``,
  and the viewset is not AI-exposed, so MCP keeps one tool set per model) — with an explicit
  ``LimitOffsetPagination`` and filters without search. The write families judge both viewsets of
  the table.
- ``/comments/with-tickets``: a collection action returning the caller's latest comments with their
  ticket expanded by a serializer's ``Meta.expand``, batch-loaded with ``prefetch_for_serializer``.
- ``/tickets/bulk``: a bulk create (body: a JSON list of create bodies). Each item is validated by the
  route's create schema, the batch by Aksara's helper-level ``validate_bulk_payload_policy`` (any
  denied item denies the whole batch, as docs/security/field-level-permissions.md prescribes for
  bulk write paths), then a ``ModelSerializer(many=True)`` validates and saves the items in one
  ``transaction.atomic()`` with the caller's tenant, as the generated create sets it.
- ``/categories/upsert``: create the category of a ``name`` or update the one that has it
  (``Model.objects.upsert`` on the unique ``name``), checked by ``validate_upsert_payload_policy``.

Two application rules Aksara's docs make the application's job are followed: an agent
token's MCP scopes also govern its REST calls (``AgentScopes``, as in the MCP tutorial's
permission class), and a comment's ``ticket_id`` must name a ticket of the caller's tenant
(the tenancy guide: "validate related-object ownership before accepting a foreign key").

Default orderings end with ``id``, the unique tie-breaker Aksara's docs recommend.

The classes adapt to the installed release (``targets.features``): where it has no
``AksaraFilterBackend`` the older ``DjangoFilterBackend`` (same allowlist, same lookups)
takes its place, and a paginator the release lacks is left out (the viewset falls back
to limit/offset). :func:`build_viewsets` builds them for the features detected now.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from aksara.api import ModelSerializer, ModelViewSet, action
from aksara.api.prefetch import prefetch_for_serializer
from aksara.api import filters as aksara_filters
from aksara.api import pagination as aksara_pagination
from aksara.permissions import (
    BasePermission,
    DenyAI,
    IsActiveUser,
    IsAdminUser,
    IsAuthenticated,
    IsOwnerOrReadOnly,
    OperationPermission,
)
from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from targets import features
from targets.refapp.models import TICKET_STATUSES, Category, Comment, Ticket


def filter_backend() -> type | None:
    """Aksara's allowlist filter backend, or the older release's equivalent, or ``None``."""
    for feature, name in (("filter_backend", "AksaraFilterBackend"), ("django_filter_backend", "DjangoFilterBackend")):
        if features.has(feature):
            return getattr(aksara_filters, name)
    return None


def paginator(name: str) -> type | None:
    """The named Aksara paginator class when the release has it."""
    return getattr(aksara_pagination, name) if features.has(f"paginator:{name}") else None


BULK_MAX = 20  # items a bulk create takes at most


async def json_body(request: Request) -> Any:
    """The request's JSON body (400 when it is not JSON, or nested beyond what the decoder takes, as FastAPI
    answers for a generated route's body)."""
    try:
        return await request.json()
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise HTTPException(status_code=400, detail="Body must be JSON")


#: Action routes that read their JSON body themselves: ``(path, method)`` → (model, shape). The generated
#: OpenAPI cannot see such a body, so :func:`document_action_bodies` adds it.
ACTION_BODIES = {("/tickets/bulk", "post"): (Ticket, "list"), ("/categories/upsert", "post"): (Category, "object")}


def document_action_bodies(app: Any) -> None:
    """Document the body of each :data:`ACTION_BODIES` route in ``app``'s OpenAPI: the model's generated
    create schema (a list of 1 to :data:`BULK_MAX` of them for a bulk route), so a client, or Schemathesis,
    sends the body the route reads."""
    from aksara.api.schemas import generate_create_schema

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        spec = generate()
        components = spec.get("components", {}).get("schemas", {})
        for (path, method), (model, shape) in ACTION_BODIES.items():
            operation = spec.get("paths", {}).get(path, {}).get(method)
            name = generate_create_schema(model).__name__
            if operation is None or name not in components or "requestBody" in operation:
                continue
            schema: dict[str, Any] = {"$ref": f"#/components/schemas/{name}"}
            if shape == "list":
                schema = {"type": "array", "items": schema, "minItems": 1, "maxItems": BULK_MAX}
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
        return spec

    app.openapi = openapi


def validated_item(schema: type, item: Any, index: int | None = None) -> dict[str, Any]:
    """``item`` checked by a route's create schema, as the generated create route checks its body
    (a 422 in the same envelope), then dumped as that route dumps it (only the keys sent)."""
    if not isinstance(item, dict):
        loc = ("body",) if index is None else ("body", index)
        raise RequestValidationError([{"type": "dict_type", "loc": loc, "msg": "Input should be an object",
                                       "input": None}])
    try:
        return schema.model_validate(item).model_dump(exclude_unset=True)
    except ValidationError as exc:
        prefix = ("body",) if index is None else ("body", index)
        raise RequestValidationError([{**err, "loc": prefix + tuple(err.get("loc", ()))}
                                      for err in exc.errors(include_url=False, include_context=False,
                                                            include_input=False)])


def policy_refusal(exc: Exception) -> HTTPException:
    """Aksara's own 403 for a denied payload (the detail the generated write routes send)."""
    from aksara.security.enforcement import policy_denied_to_error_payload

    return HTTPException(status_code=403, detail=policy_denied_to_error_payload(exc))


def request_principal(request: Request) -> Any:
    """The caller's principal as Aksara resolves it from the request."""
    from aksara.security.context import principal_from_request

    return principal_from_request(request)


def server_create_fields(viewset: Any, request: Request) -> dict[str, Any]:
    """The trusted fields the release's generated create adds (the caller's tenant; none before 0.6)."""
    fields = getattr(viewset, "_server_controlled_create_fields", None)
    return fields(request) if fields is not None else {}


def _backends(*extra: type) -> list[type]:
    backend = filter_backend()
    return ([backend] if backend is not None else []) + list(extra)


class StaffWritesOthersRead(BasePermission):
    """Anyone may read; only staff may write."""

    message = "Only staff may change categories."

    def has_permission(self, request: Any, view: Any = None) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        user = self.get_user(request)
        return bool(user is not None and getattr(user, "is_staff", False))


class AgentScopes(BasePermission):
    """An AI principal needs the model's MCP scope on REST as well: read for safe methods, write otherwise."""

    message = "This agent token does not grant the scope this request needs."

    def has_permission(self, request: Any, view: Any = None) -> bool:
        principal = getattr(request.state, "principal", None)
        if principal is None or not getattr(principal, "is_ai_agent", False) or view is None:
            return True
        access = "read" if self.is_safe_method(request) else "write"
        scope = f"mcp:{access}:{view.model.__name__.lower()}"
        has_scope = getattr(principal, "has_scope", None)  # releases without Aksara's Principal: exact scopes
        return has_scope(scope) if has_scope is not None else scope in (getattr(principal, "scopes", ()) or ())


class CategorySerializer(ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "description", "sort_order", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class TicketBriefSerializer(ModelSerializer):
    class Meta:
        model = Ticket
        fields = ["id", "tenant_id", "title", "status"]


class TicketBulkSerializer(ModelSerializer):
    """What a bulk create stores of each item: every field a client may write."""

    class Meta:
        model = Ticket
        fields = ["title", "status", "body", "priority", "views", "amount", "score", "is_urgent", "due_date",
                  "resolved_at", "external_ref", "meta", "internal_notes", "approved", "contact_email",
                  "homepage", "slug", "opens_at", "labels", "tenant_id"]
        read_only_fields = ["tenant_id"]


class CommentThreadSerializer(ModelSerializer):
    """A comment with its ticket expanded (``Meta.expand``; loaded in one batch by ``prefetch_for_serializer``)."""

    class Meta:
        model = Comment
        fields = ["id", "tenant_id", "ticket", "author", "is_public", "created_at"]
        expand = {"ticket": TicketBriefSerializer}


def build_viewsets() -> list[type]:
    """The reference viewsets, built for the Aksara features detected now."""

    class TicketViewSet(ModelViewSet):
        model = Ticket
        prefix = "/tickets"
        permission_classes = [IsAuthenticated, AgentScopes]
        filter_backends = _backends(aksara_filters.SearchFilter, aksara_filters.OrderingFilter)
        filterable_fields = [
            "title", "status", "body", "priority", "views", "amount", "score", "is_urgent",
            "due_date", "resolved_at", "external_ref", "meta", "approved", "created_at",
        ]
        ordering_fields = ["id", "title", "status", "priority", "views", "amount", "score", "due_date", "created_at"]
        ordering = ["-created_at", "id"]
        search_fields = ["title", "body"]
        stream_enabled = False

        @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, IsAdminUser, AgentScopes])
        async def close(self, request: Request, pk: str) -> dict[str, Any]:
            """Close a ticket (staff only)."""
            queryset = self.get_queryset(request=request)
            try:
                ticket = await queryset.filter(id=pk).first()
            except ValueError:
                raise HTTPException(status_code=400, detail="Invalid id format")
            if ticket is None:
                raise HTTPException(status_code=404, detail="Ticket not found")
            ticket.status = "closed"
            await ticket.save()
            return self._serialize(ticket, request=request)

        @action(detail=True, methods=["get"],
                 permission_classes=[IsAuthenticated, IsActiveUser, IsOwnerOrReadOnly, AgentScopes])
        async def history(self, request: Request, pk: str) -> dict[str, Any]:
            """The ticket's status and its comments, oldest first (any member of the tenant may read)."""
            ticket = await self._own_ticket(request, pk)
            comments = await Comment.objects.filter(ticket_id=ticket.id).order_by("created_at", "id").all()
            return {"id": str(ticket.id), "status": ticket.status,
                    "comments": [{"id": str(c.id), "author": c.author} for c in comments]}

        @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated() & IsAdminUser()],
                ai_exposed=False)
        async def reopen(self, request: Request, pk: str) -> dict[str, Any]:
            """Reopen a ticket (staff only, never an agent)."""
            ticket = await self._own_ticket(request, pk)
            ticket.status = "open"
            await ticket.save()
            return self._serialize(ticket, request=request)

        @action(detail=False, methods=["get"], path="status-choices")
        async def status_choices(self) -> dict[str, Any]:
            """The statuses a ticket can have."""
            return {"statuses": list(TICKET_STATUSES)}

        if features.has("bulk_payload_policy"):
            @action(detail=False, methods=["post"], path="bulk")
            async def bulk_create(self, request: Request) -> dict[str, Any]:
                """Create up to 20 tickets at once; one denied field in any item refuses the whole batch."""
                from aksara import transaction

                items = await json_body(request)
                if not isinstance(items, list) or not 1 <= len(items) <= BULK_MAX:
                    raise HTTPException(status_code=422, detail=f"The body must be a list of 1 to {BULK_MAX} tickets")
                data = [validated_item(self.create_schema, item, index) for index, item in enumerate(items)]
                self.check_bulk_policy(request, data)
                server_fields = server_create_fields(self, request)
                serializer = TicketBulkSerializer(data=data, many=True, context={"request": request})
                if not serializer.is_valid():
                    raise HTTPException(status_code=422, detail=serializer.errors)
                async with transaction.atomic():
                    created = await serializer.save(**server_fields)
                return {"count": len(created),
                        "results": [self._serialize(t, action="retrieve", request=request) for t in created]}

            def check_bulk_policy(self, request: Request, data: list[dict[str, Any]]) -> None:
                """Aksara's helper-level bulk validation: any item's denied field refuses the batch (403)."""
                from aksara.security.enforcement import validate_bulk_payload_policy
                from aksara.security.exceptions import PolicyDenied

                try:
                    validate_bulk_payload_policy(principal=request_principal(request), action="create", model=Ticket,
                                                 payloads=data, surface="rest_bulk_create",
                                                 context=self._payload_policy_context())
                except PolicyDenied as exc:
                    raise policy_refusal(exc)

        async def _own_ticket(self, request: Request, pk: str) -> Any:
            """The caller's ticket ``pk`` (400 for a malformed id, 404 when the caller cannot see it)."""
            try:
                ticket = await self.get_queryset(request=request).filter(id=pk).first()
            except ValueError:
                raise HTTPException(status_code=400, detail="Invalid id format")
            if ticket is None:
                raise HTTPException(status_code=404, detail="Ticket not found")
            return ticket

        @action(detail=False, methods=["get"])
        async def summary(self, request: Request) -> dict[str, Any]:
            """Count the caller's tickets per status."""
            queryset = self.get_queryset(request=request)
            counts = {}
            for status in ("open", "pending", "closed"):
                counts[status] = await queryset.filter(status=status).count()
            return {"counts": counts}

    class CommentViewSet(ModelViewSet):
        model = Comment
        prefix = "/comments"
        permission_classes = [IsAuthenticated, AgentScopes]
        pagination_class = paginator("PageNumberPagination")
        filter_backends = _backends(aksara_filters.OrderingFilter)
        filterable_fields = ["author", "is_public", "ticket_id", "created_at"]
        ordering_fields = ["id", "author", "created_at"]
        ordering = ["created_at", "id"]
        stream_enabled = features.has("model_stream")

        @action(detail=False, methods=["get"], path="with-tickets")
        async def with_tickets(self, request: Request) -> dict[str, Any]:
            """The caller's latest comments, each with its ticket (batched, as Aksara's prefetch guide shows)."""
            comments = await self.get_queryset(request=request).order_by("-created_at", "id").limit(20).all()
            await prefetch_for_serializer(comments, CommentThreadSerializer)
            return {"results": CommentThreadSerializer(instance=comments, many=True).data}

        async def validate_ticket(self, data: dict[str, Any], request: Request) -> None:
            """A comment may only point at a ticket of the caller's own tenant.

            Another tenant's ticket gets the answer a missing one gets (404), so the reference
            reveals nothing, as for another tenant's id in the path.
            """
            ticket_id = data.get("ticket_id")
            if ticket_id is None:
                return
            principal = getattr(request.state, "principal", None)
            tenant = getattr(principal, "tenant_id", None)
            ticket = await Ticket.objects.filter(id=ticket_id).first()
            if ticket is None or tenant is None or str(ticket.tenant_id) != str(tenant):
                raise HTTPException(status_code=404, detail="Ticket not found")

        async def create(self, data: dict[str, Any], request: Request) -> dict[str, Any]:
            self.check_permissions(request)
            await self.validate_ticket(data, request)
            return await super().create(data, request)

        async def update(self, pk: str, data: dict[str, Any], request: Request) -> dict[str, Any]:
            self.check_permissions(request)
            await self.validate_ticket(data, request)
            return await super().update(pk, data, request)

    class CategoryViewSet(ModelViewSet):
        model = Category
        prefix = "/categories"
        permission_classes = [StaffWritesOthersRead, AgentScopes]
        pagination_class = paginator("CursorPagination")
        filter_backends = _backends(aksara_filters.SearchFilter, aksara_filters.OrderingFilter)
        filterable_fields = ["name", "sort_order"]
        # Aksara's cursor continues with id__gt: its docs require ascending id ordering.
        ordering_fields = ["id"]
        ordering = ["id"]
        search_fields = ["name", "description"]
        list_serializer_class = CategorySerializer
        retrieve_serializer_class = CategorySerializer
        stream_enabled = False

        if features.has("bulk_payload_policy"):
            @action(detail=False, methods=["post"], path="upsert")
            async def upsert(self, request: Request) -> dict[str, Any]:
                """Create the category named in the body, or update the one of that name (staff only)."""
                from aksara.security.enforcement import validate_upsert_payload_policy
                from aksara.security.exceptions import PolicyDenied

                data = validated_item(self.create_schema, await json_body(request))
                # the timestamp goes in by hand, as in the upsert example of docs/orm/bulk-operations.md
                defaults = {**{k: v for k, v in data.items() if k != "name"}, "updated_at": datetime.now(timezone.utc)}
                try:
                    validate_upsert_payload_policy(principal=request_principal(request), model=Category,
                                                   insert_payload=data,
                                                   update_payload={k: v for k, v in data.items() if k != "name"},
                                                   conflict_target=["name"], surface="rest_upsert",
                                                   context=self._payload_policy_context())
                except PolicyDenied as exc:
                    raise policy_refusal(exc)
                category, created = await Category.objects.upsert(name=data["name"], defaults=defaults)
                return {"created": created, **self._serialize(category, action="retrieve", request=request)}

    class CatalogViewSet(ModelViewSet):
        model = Category
        prefix = "/catalog"
        permission_classes = [OperationPermission(allow=["read"]) | IsAdminUser(), DenyAI]
        ai_exposed = False
        pagination_class = paginator("LimitOffsetPagination")
        list_serializer_class = CategorySerializer
        retrieve_serializer_class = CategorySerializer
        filter_backends = _backends(aksara_filters.OrderingFilter)
        filterable_fields = ["name", "sort_order", "created_at"]
        ordering_fields = ["id", "name", "sort_order"]
        ordering = ["sort_order", "id"]
        stream_enabled = False

    built = [TicketViewSet, CommentViewSet, CategoryViewSet, CatalogViewSet]
    for cls in built:
        cls.__qualname__ = cls.__name__
    return built


VIEWSETS = build_viewsets()
TicketViewSet, CommentViewSet, CategoryViewSet, CatalogViewSet = VIEWSETS
