"""Planning viewsets, discovered by Aksara (``discover_viewsets`` / ``include_app_viewsets``): every public
``ModelViewSet`` subclass of this module is registered, so the module imports no other viewset.

``/milestones``: ``Milestone`` through plain ``ModelSerializer`` classes with Aksara's own ``create`` and
``update`` (no override), written the way the serializer guide asks of an update serializer ("define and
test omitted-field, default, null, and relationship replacement behavior explicitly"):

- omitted fields: every client field is nullable without a default, so the input model dumps ``None``
  for an omitted key and the default ``update`` skips it (the field keeps its value); ``null`` cannot
  clear a field (the guide: "The default update method skips ``None`` values");
- ``validate_<field>`` hooks refuse a blank ``name`` and negative ``points`` (Aksara's
  ``ValidationError``: 422); the request schemas publish the same constraints;
- relationship: ``labels`` (many-to-many to ``Label``) is read expanded through ``Meta.expand`` with
  a nested serializer, loaded with ``prefetch_for_serializer`` before representation (the guide:
  "ensure the relation is loaded through your query strategy"), and the read schema publishes the
  expanded shape. It is not client input: on 0.7.2 the generated routes' payload policy refuses a
  many-to-many key for every principal (the policy engine's writable fields are the model's
  ``_fields``; ``_m2m_fields`` are not among them), sent or not (a create serializer gets every
  schema field, AKSARA-WRITE-020), so the request schemas leave ``labels`` out;
- ``ref`` is in the serializer's ``read_only_fields``: a client value is ignored.
"""

from __future__ import annotations

import re
from typing import Any, Optional
from uuid import UUID

from aksara.api import ModelSerializer, ModelViewSet
from aksara.api import filters as aksara_filters
from aksara.api import pagination as aksara_pagination
from aksara.api import prefetch_for_serializer
from aksara.api.schemas import generate_create_schema, generate_read_schema, generate_update_schema
from aksara.exceptions import ValidationError
from aksara.manager import DoesNotExist
from aksara.permissions import IsAuthenticated
from fastapi import HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, create_model

from targets.platform.models import Label, Milestone
from targets.platform.views import TenantMember

# what the hooks refuse, published in the request schemas as well
# (one visible character: an explicit class, so Python's re and pydantic-core's regex agree)
NAME_PATTERN = r"[^ \t\n\r\f\v]"
MAX_POINTS = 2147483647


class LabelSummarySerializer(ModelSerializer):
    """A label as it appears inside an expanded milestone."""

    class Meta:
        model = Label
        fields = ["id", "name", "color"]


class MilestoneSerializer(ModelSerializer):
    """Milestone reads and writes: Aksara's default create and update, ``labels`` expanded on output."""

    class Meta:
        model = Milestone
        fields = ["id", "tenant_id", "name", "points", "note", "ref", "created_at", "updated_at"]
        read_only_fields = ["id", "tenant_id", "ref", "created_at", "updated_at"]
        expand = {"labels": LabelSummarySerializer}

    def validate_name(self, value: Optional[str]) -> Optional[str]:
        # the hook sees every input field, an omitted one as None
        if value is not None and not re.search(NAME_PATTERN, value):
            raise ValidationError("Invalid milestone name", errors={"name": "A visible name is required"})
        return value

    def validate_points(self, value: Optional[int]) -> Optional[int]:
        if value is not None and value < 0:
            raise ValidationError("Invalid points", errors={"points": "Points cannot be negative"})
        return value


class LabelSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: UUID
    name: str
    color: str


def _constrained(generated: type, name: str) -> type:
    """A generated request schema without ``labels``, declaring what the hooks refuse."""
    fields: dict[str, Any] = {}
    for field_name, info in generated.model_fields.items():
        if field_name == "labels":
            continue
        if field_name == "name":
            info = Field(default=None, max_length=80, pattern=NAME_PATTERN, description=info.description)
        elif field_name == "points":
            info = Field(default=None, ge=0, le=MAX_POINTS, description=info.description)
        fields[field_name] = (generated.model_fields[field_name].annotation, info)
    return create_model(name, __config__=generated.model_config, **fields)


def milestone_read_schema() -> type:
    """Aksara's generated read schema with ``labels`` as the expanded objects the serializer returns."""
    generated = generate_read_schema(Milestone)
    fields = {n: (i.annotation, i) for n, i in generated.model_fields.items() if n != "labels"}
    return create_model("MilestoneRead", __config__=generated.model_config,
                        labels=(list[LabelSummary], Field(default_factory=list)), **fields)


async def _with_labels(instances: list[Any]) -> list[Any]:
    await prefetch_for_serializer(instances, MilestoneSerializer)
    return instances


class MilestoneViewSet(ModelViewSet):
    model = Milestone
    prefix = "/milestones"
    permission_classes = [IsAuthenticated, TenantMember]
    ai_exposed = False
    pagination_class = aksara_pagination.LimitOffsetPagination
    filter_backends = [aksara_filters.AksaraFilterBackend, aksara_filters.OrderingFilter]
    filterable_fields = ["name", "points"]
    ordering_fields = ["id", "name", "points"]
    ordering = ["id"]
    stream_enabled = False
    list_serializer_class = MilestoneSerializer
    retrieve_serializer_class = MilestoneSerializer
    create_serializer_class = MilestoneSerializer
    update_serializer_class = MilestoneSerializer
    create_schema_class = _constrained(generate_create_schema(Milestone), "MilestoneCreateBody")
    update_schema_class = _constrained(generate_update_schema(Milestone), "MilestoneUpdateBody")
    read_schema_class = milestone_read_schema()

    async def _fetch_with_pagination(self, queryset: Any, limit: int, offset: int) -> list[Any]:
        return await _with_labels(await super()._fetch_with_pagination(queryset, limit, offset))

    async def retrieve(self, pk: str, request: Request) -> dict[str, Any]:
        """Aksara's retrieve, with the labels loaded before representation."""
        self.check_permissions(request)
        self.check_ai_access(request)
        try:
            instance = await self.model.objects.get(id=pk)
        except DoesNotExist:
            raise HTTPException(status_code=404, detail="Milestone not found")
        except ValueError:
            raise HTTPException(status_code=400, detail=f"Invalid id format: {pk}")
        self.check_object_permissions(request, instance)
        await _with_labels([instance])
        return self._serialize(instance, action="retrieve", request=request)

    async def update(self, pk: str, data: dict[str, Any], request: Request) -> dict[str, Any]:
        """Aksara's update (its serializer's default ``update``); the answer shows the stored labels."""
        await super().update(pk, data, request)
        instance = await self.model.objects.get(id=pk)
        await _with_labels([instance])
        return self._serialize(instance, action="retrieve", request=request)
