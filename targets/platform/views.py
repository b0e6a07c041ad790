"""Platform app viewsets, written the way Aksara's docs and tutorials write them.

- ``/labels``: ``Label`` with Aksara's default permission list (none declared): anyone
  reads, PolicyEngine alone decides writes.
- ``/projects``: ``Project`` through serializers for list, retrieve, create and update;
  ``read_only_fields`` include ``slug``, which the model itself lets clients write. The
  update serializer validates only the keys the client sent (the serializer guide: "If you
  introduce an update serializer, define and test omitted-field [...] behavior explicitly").
  A ``labels`` detail action replaces the project's labels (many-to-many) through a serializer's
  default ``update`` (the serializer guide: construct with ``instance=`` and ``data=``, ``is_valid()``,
  ``await serializer.save()``; related objects validated and the replacement in one transaction).
- ``/project-board``: the same ``Project`` model served by a second viewset, without
  serializers, page-number pagination, staff-only deletes.
- ``/documents``: a ``SoftDeleteModel``: DELETE marks the row deleted; the ``trash``
  collection action lists the caller's deleted documents with
  ``only_deleted(self.get_queryset(request))``, which the soft-delete guide says keeps the
  queryset's tenant restriction.
- ``/memos``: ``Memo`` tenant-marked by ``org_id``; the app scopes its queryset by the
  principal's tenant and sets ``org_id`` on create (Aksara's generated paths only inject
  ``tenant_id``).

Every tenant-scoped viewset uses the tenancy tutorial's permission (tenant and role
required, object tenant checked) and, for AI principals, the MCP tutorial's scope rule.
"""

from __future__ import annotations

import json
import typing
from typing import Any

from aksara import transaction
from aksara.api import ModelSerializer, ModelViewSet, action
from aksara.api import filters as aksara_filters
from aksara.api import pagination as aksara_pagination
from aksara.contrib.soft_delete import only_deleted
from aksara.permissions import BasePermission, IsAdminUser, IsAuthenticated
from aksara.security.principal import Principal
from aksara.security.enforcement import enforce_request_payload_policy, policy_denied_to_error_payload
from aksara.security.exceptions import PolicyDenied
from fastapi import HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.fields import FieldInfo

from targets.platform.models import Document, Label, Memo, Project

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _principal(request: Any) -> Principal | None:
    principal = getattr(getattr(request, "state", None), "principal", None)
    return principal if isinstance(principal, Principal) else None


class TenantMember(BasePermission):
    """The caller is authenticated with a tenant; readers read, members and staff write."""

    message = "This workspace requires a tenant member with a permitted role"

    def has_permission(self, request: Any, view: Any = None) -> bool:
        principal = _principal(request)
        if principal is None or not principal.is_authenticated or not principal.tenant_id:
            return False
        if principal.is_ai_agent:
            return True  # AgentScopes decides for agents
        if request.method.upper() in READ_METHODS:
            return True
        return principal.has_any_role(("member", "staff", "admin"))

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        principal = _principal(request)
        tenant = getattr(obj, "tenant_id", None) or getattr(obj, "org_id", None)
        return principal is not None and tenant is not None and str(tenant) == str(principal.tenant_id)


class AgentScopes(BasePermission):
    """An AI principal needs the model's MCP scope on REST as well: read for safe methods, write otherwise."""

    message = "This agent token does not grant the scope this request needs."

    def has_permission(self, request: Any, view: Any = None) -> bool:
        principal = _principal(request)
        if principal is None or not principal.is_ai_agent or view is None:
            return True
        access = "read" if request.method.upper() in READ_METHODS else "write"
        return principal.has_scope(f"mcp:{access}:{view.model.__name__.lower()}")


class ProjectSerializer(ModelSerializer):
    """What clients read and create: ``slug`` and ``audit_code`` are the server's."""

    class Meta:
        model = Project
        fields = ["id", "tenant_id", "title", "status", "priority", "budget", "slug", "secret_notes",
                  "approved", "audit_code", "created_at", "updated_at"]
        read_only_fields = ["id", "tenant_id", "slug", "audit_code", "created_at", "updated_at"]


class ProjectUpdateSerializer(ProjectSerializer):
    """A partial update: only the keys the client sent are validated (with their create-time types)
    and applied; ``null`` clears a nullable field and is refused (422) for any other (the serializer
    guide: define omitted-field and null behaviour)."""

    class Meta(ProjectSerializer.Meta):
        pass

    def _validate_single(self, data: dict[str, Any]) -> dict[str, Any]:
        fields = self._input_model.model_fields
        sent = {key: value for key, value in data.items() if key in fields}
        partial = create_model(f"{type(self).__name__}Partial", __config__=ConfigDict(extra="ignore"),
                               **{name: (_update_annotation(name, info.annotation),
                                         FieldInfo.merge_field_infos(info, default=None))
                                  for name, info in fields.items() if name in sent})
        validated = partial(**sent).model_dump(exclude_unset=True)
        for name, value in list(validated.items()):
            hook = getattr(self, f"validate_{name}", None)
            if callable(hook):
                validated[name] = hook(value)
        return self.validate(validated)

    async def update(self, instance: Any, validated_data: dict[str, Any]) -> Any:
        for key, value in validated_data.items():
            setattr(instance, key, value)
        await instance.save()
        return instance


class ProjectLabelsSerializer(ModelSerializer):
    """The relationship replacement of the ``labels`` action: no model field, only the many-to-many
    ``labels`` (Aksara adds every many-to-many field to a serializer's input as a list of ids), written by
    Aksara's default ``update`` (``set`` on the relation: the list replaces the project's labels)."""

    class Meta:
        model = Project
        fields = ["labels"]


def _update_annotation(name: str, annotation: Any) -> Any:
    """A field's create-time type, without ``None`` when the model column is not nullable (a field with a
    default is optional on create, but ``null`` is no value for it on update)."""
    field = Project._fields.get(name)
    args = typing.get_args(annotation)
    if field is None or getattr(field, "nullable", True) or type(None) not in args:
        return annotation
    kept = tuple(arg for arg in args if arg is not type(None))
    return kept[0] if len(kept) == 1 else typing.Union[kept]


class MemoCreate(BaseModel):
    """Memo's create body: the generated schema less ``org_id``."""

    model_config = ConfigDict(extra="forbid")
    subject: str = Field(max_length=120)
    body: str | None = None


def project_create_schema() -> type:
    """Aksara's generated Project create schema less ``audit_code`` (system_only) and ``labels`` (many-to-many).

    With a create serializer the generated route passes every schema field, unset ones as null,
    to the payload policy, which refuses any key the caller may not write, sent or not: a create
    on a model with a system-only or many-to-many field would always be refused. The app leaves
    those fields out of its create body (labels are set with the ``labels`` action).
    """
    from aksara.api.schemas import generate_create_schema
    from pydantic import create_model

    generated = generate_create_schema(Project)
    fields = {name: (info.annotation, info) for name, info in generated.model_fields.items()
              if name not in ("audit_code", "labels")}
    return create_model("ProjectCreateBody", __config__=ConfigDict(extra="forbid"), **fields)


def project_update_schema() -> type:
    """Aksara's generated Project update schema, with ``null`` refused for a column that is not nullable.

    The update serializer refuses it (422); the request body the route validates, and the document
    generated from it, say so too, so a client reading the document is not told ``null`` is a value.
    """
    from aksara.api.schemas import generate_update_schema

    generated = generate_update_schema(Project)
    fields = {name: (_update_annotation(name, info.annotation), info) for name, info in generated.model_fields.items()}
    return create_model("ProjectUpdateBody", __config__=generated.model_config, **fields)


def _slug(title: Any) -> str:
    text = "".join(c if c.isalnum() else "-" for c in str(title).lower()).strip("-")
    return "-".join(part for part in text.split("-") if part)[:60] or "project"


def build_viewsets() -> list[type]:
    """The platform app's viewsets."""

    class LabelViewSet(ModelViewSet):
        model = Label
        prefix = "/labels"
        filter_backends = [aksara_filters.AksaraFilterBackend, aksara_filters.OrderingFilter]
        filterable_fields = ["name", "color"]
        ordering_fields = ["id", "name"]
        ordering = ["name", "id"]
        stream_enabled = False

    class ProjectViewSet(ModelViewSet):
        model = Project
        prefix = "/projects"
        permission_classes = [IsAuthenticated, TenantMember, AgentScopes]
        filter_backends = [aksara_filters.AksaraFilterBackend, aksara_filters.SearchFilter,
                           aksara_filters.OrderingFilter]
        filterable_fields = ["title", "status", "priority", "budget", "slug", "approved", "created_at"]
        ordering_fields = ["id", "title", "priority", "budget", "created_at"]
        ordering = ["-created_at", "id"]
        search_fields = ["title"]
        list_serializer_class = ProjectSerializer
        retrieve_serializer_class = ProjectSerializer
        create_serializer_class = ProjectSerializer
        update_serializer_class = ProjectUpdateSerializer
        create_schema_class = project_create_schema()
        update_schema_class = project_update_schema()
        stream_enabled = False

        async def create(self, data: dict[str, Any], request: Request) -> dict[str, Any]:
            result = await super().create(data, request)
            # the server derives the slug; clients cannot set it (read-only in the serializer)
            project = await Project.objects.get(id=result["id"])
            project.slug = _slug(project.title)
            await project.save()
            return self._serialize(project, action="retrieve", request=request)

        @action(detail=True, methods=["post"])
        async def labels(self, pk: str, request: Request) -> dict[str, Any]:
            """Replace the project's labels (body: {"labels": [label id, ...]}); no body: read them.

            The parameters come in the order of the actions guide's example (``pk`` first): the action wrapper
            must find the request by its name or annotation wherever it stands.
            """
            self.check_permissions(request)
            raw = await request.body()
            try:
                body = json.loads(raw) if raw.strip() else None
            except (ValueError, RecursionError):
                raise HTTPException(status_code=400, detail="Body must be JSON")
            ids = body.get("labels") if isinstance(body, dict) else None
            if body is not None and (not isinstance(ids, list) or not all(isinstance(i, str) for i in ids)
                                     or len(ids) > 20):
                raise HTTPException(status_code=422, detail="labels must be a list of at most 20 label ids")
            try:
                project = await self.get_queryset(request=request).filter(id=pk).first()
                found = await Label.objects.filter(id__in=ids).all() if body is not None and ids else []
            except ValueError:
                raise HTTPException(status_code=400, detail="Invalid id format")
            if project is None:
                raise HTTPException(status_code=404, detail="Project not found")
            self.check_object_permissions(request, project)
            if body is not None:
                # related objects validated before saving (the serializer guide); Aksara's update would
                # drop an unknown id silently
                if len(found) != len(set(ids)):
                    raise HTTPException(status_code=422, detail="Unknown label")
                serializer = ProjectLabelsSerializer(instance=project, data={"labels": ids},
                                                     context={"request": request})
                if not serializer.is_valid():
                    raise HTTPException(status_code=422, detail="labels must be a list of label ids")
                async with transaction.atomic():  # the row's save and the relation's replacement together
                    await serializer.save()
            current = await project.labels.all()
            return {"id": str(project.id), "labels": sorted(str(label.id) for label in current)}

    class ProjectBoardViewSet(ModelViewSet):
        model = Project
        prefix = "/project-board"
        permission_classes = [IsAuthenticated, TenantMember, AgentScopes]
        pagination_class = aksara_pagination.PageNumberPagination
        filter_backends = [aksara_filters.AksaraFilterBackend, aksara_filters.OrderingFilter]
        filterable_fields = ["status", "priority", "approved"]
        ordering_fields = ["id", "priority", "created_at"]
        ordering = ["priority", "id"]
        stream_enabled = False
        ai_exposed = False

        @action(detail=False, methods=["get"])
        async def summary(self, request: Request) -> dict[str, Any]:
            """How many of the caller's projects the board holds. The action keeps the default ai_exposed=True;
            the viewset's ai_exposed=False must still keep agents out (docs/api/actions.md: "other
            ViewSet/model/registration conditions still apply")."""
            return {"projects": await self.get_queryset(request=request).count()}

        async def delete(self, pk: str, request: Request) -> dict[str, Any]:
            if not IsAdminUser().has_permission(request, self):
                raise HTTPException(status_code=403, detail=IsAdminUser.message)
            return await super().delete(pk, request)

    class DocumentViewSet(ModelViewSet):
        model = Document
        prefix = "/documents"
        permission_classes = [IsAuthenticated, TenantMember, AgentScopes]
        filter_backends = [aksara_filters.AksaraFilterBackend, aksara_filters.OrderingFilter]
        filterable_fields = ["title", "pinned", "created_at"]
        ordering_fields = ["id", "title", "created_at"]
        ordering = ["created_at", "id"]
        stream_enabled = False

        @action(detail=False, methods=["get"])
        async def trash(self, request: Request) -> dict[str, Any]:
            """The caller's deleted documents (limit/offset as the list)."""
            self.check_permissions(request)
            self.check_ai_access(request)
            try:
                limit = int(request.query_params.get("limit", self.default_limit))
                offset = int(request.query_params.get("offset", 0))
            except ValueError:
                raise HTTPException(status_code=400, detail="limit and offset must be integers")
            return await self._paginate(only_deleted(self.get_queryset(request=request)), limit, offset,
                                        request=request)

    class MemoViewSet(ModelViewSet):
        model = Memo
        prefix = "/memos"
        permission_classes = [IsAuthenticated, TenantMember, AgentScopes]
        filter_backends = [aksara_filters.AksaraFilterBackend, aksara_filters.OrderingFilter]
        filterable_fields = ["subject", "created_at"]
        ordering_fields = ["id", "subject", "created_at"]
        ordering = ["created_at", "id"]
        stream_enabled = False
        create_schema_class = MemoCreate  # org_id is the server's, as tenant_id is on a TenantModel

        def get_queryset(self, request: Request | None = None, **filters: Any) -> Any:
            # Aksara's policy filter for an org_id model names tenant_id, a field Memo does not
            # have (aksara/security/policy.py query_filter): the app applies the org scope itself.
            principal = _principal(request) if request is not None else None
            queryset = Memo.objects.filter(**{k: v for k, v in filters.items() if v is not None})
            if request is not None:
                for backend_class in self.filter_backends:
                    queryset = backend_class().filter_queryset(request, queryset, self)
            if principal is not None and not principal.is_system:
                queryset = queryset.filter(org_id=principal.tenant_id)
            return queryset

        async def create(self, data: dict[str, Any], request: Request) -> dict[str, Any]:
            """Aksara's create with the org marker injected from the principal, as it injects tenant_id."""
            self.check_permissions(request)
            self.check_ai_access(request)
            try:
                enforce_request_payload_policy(request=request, action="create", model=self.model, payload=data,
                                               surface="rest_create", context=self._payload_policy_context())
            except PolicyDenied as exc:
                raise HTTPException(status_code=403, detail=policy_denied_to_error_payload(exc))
            principal = _principal(request)
            if principal is None or not principal.tenant_id:
                raise HTTPException(status_code=403, detail={"code": "tenant_context_required",
                                                             "message": "Memo creates require a tenant context."})
            memo = await Memo.objects.create(**data, org_id=principal.tenant_id)
            return self._serialize(memo, action="retrieve", request=request)

    built = [LabelViewSet, ProjectViewSet, ProjectBoardViewSet, DocumentViewSet, MemoViewSet]
    for cls in built:
        cls.__qualname__ = cls.__name__
    return built
