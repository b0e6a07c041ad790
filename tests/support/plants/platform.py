"""Planted faults on the platform target (targets/platform/): one faulty viewset per oracle.

Each viewset serves a real model of the platform app at its own prefix, written the way an
application could get it wrong:

- ``/planted-naive-projects``: Aksara's plain serializer as update serializer (its input model
  dumps defaults: a PATCH resets omitted fields that have one);
- ``/planted-applying-projects``: an update serializer that copies the read-only ``slug`` from
  the request body;
- ``/planted-shouting-projects``: a create serializer that rewrites the title;
- ``/planted-documents``: a trash listing over ``Document.objects.with_deleted()`` (active rows too,
  and not the viewset's scoped queryset) and a DELETE that removes the row.
"""

from __future__ import annotations

from typing import Any

from aksara.api import ModelViewSet, action
from fastapi import HTTPException, Request

from targets.platform import views
from targets.platform.models import Document, Project
from targets.platform.target import PlatformTarget, describe


class ApplyingSerializer(views.ProjectUpdateSerializer):
    class Meta(views.ProjectSerializer.Meta):
        pass

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if "slug" in (self.initial_data or {}):
            data["slug"] = self.initial_data["slug"]  # planted: a read-only field applied
        return data


class ShoutingSerializer(views.ProjectSerializer):
    class Meta(views.ProjectSerializer.Meta):
        pass

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if isinstance(data.get("title"), str):
            data["title"] = data["title"][:100] + "!"  # planted: the serializer path stores another value
        return data


def planted_viewsets() -> list[type]:
    base = {"model": Project, "permission_classes": [views.IsAuthenticated, views.TenantMember],
            "create_schema_class": views.project_create_schema(), "stream_enabled": False,
            "list_serializer_class": views.ProjectSerializer, "retrieve_serializer_class": views.ProjectSerializer,
            "create_serializer_class": views.ProjectSerializer}
    naive = type("NaiveProjectViewSet", (ModelViewSet,), {**base, "prefix": "/planted-naive-projects",
                                                           "update_serializer_class": views.ProjectSerializer})
    applying = type("ApplyingProjectViewSet", (ModelViewSet,), {**base, "prefix": "/planted-applying-projects",
                                                                 "update_serializer_class": ApplyingSerializer})
    shouting = type("ShoutingProjectViewSet", (ModelViewSet,), {**base, "prefix": "/planted-shouting-projects",
                                                                 "create_serializer_class": ShoutingSerializer})

    class LeakyDocumentViewSet(ModelViewSet):
        model = Document
        prefix = "/planted-documents"
        permission_classes = [views.IsAuthenticated, views.TenantMember]
        stream_enabled = False

        @action(detail=False, methods=["get"])
        async def trash(self, request: Request) -> dict[str, Any]:
            self.check_permissions(request)
            # planted: every row of the table, active ones included and, without RLS, every tenant's
            return await self._paginate(Document.objects.with_deleted(), 100, 0, request=request)

        async def delete(self, pk: str, request: Request) -> dict[str, Any]:
            self.check_permissions(request)
            row = await self.get_queryset(request=request).filter(id=pk).first()
            if row is None:
                raise HTTPException(status_code=404, detail="Document not found")
            await Document.objects.filter(id=pk).delete()  # planted: a physical delete
            return {"deleted": True, "id": pk}

    built = [naive, applying, shouting, LeakyDocumentViewSet]
    for cls in built:
        cls.__qualname__ = cls.__name__
    return built


class PlantedPlatform(PlatformTarget):
    """The platform app with the planted viewsets after its own."""

    def __init__(self, profile: str = "hardened"):
        super().__init__(profile)
        self.planted = planted_viewsets()
        self.viewsets = self.viewsets + self.planted

    def planted_resource(self, prefix: str) -> Any:
        import dataclasses

        cls = next(v for v in self.planted if v.prefix == prefix)
        spec = describe(cls)
        if cls.model is Document:
            spec = dataclasses.replace(spec, trash_path=prefix + "/trash")
        return spec
