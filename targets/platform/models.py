"""Platform app models: the parts of Aksara the reference app does not reach.

- ``Label``: a global catalogue, served by a viewset with Aksara's default (empty)
  permission list; the target of a many-to-many relation.
- ``Project`` (tenant-scoped): written through ``ModelSerializer`` classes with
  ``read_only_fields`` (``slug`` is read-only in the serializers only), a
  ``system_only`` field (``audit_code``), an ``ai_sensitive`` field (``secret_notes``),
  an ``ai_agent_writable=False`` field (``approved``) and a runtime many-to-many
  relation to ``Label``. The same model is served by a second viewset without serializers.
- ``Document`` (tenant-scoped, ``SoftDeleteModel``): deletion sets ``deleted_at``; a
  trash listing shows the caller's deleted documents.
- ``Memo``: tenant-marked by ``org_id``, one of the alternative tenant field names
  Aksara's policy engine recognises (``aksara/security/policy.py``), not ``TenantModel``.
- ``Milestone`` (tenant-scoped): written through plain ``ModelSerializer`` classes (Aksara's own
  ``create`` and ``update``); every client field is nullable without a default, so the input
  model's dumped value for an omitted field is ``None``, which the default update skips. A
  many-to-many relation to ``Label`` is read expanded (``Meta.expand``); ``ref`` is read-only in
  the serializer.
"""

from __future__ import annotations

from aksara import Model, fields
from aksara.contrib.soft_delete import SoftDeleteModel
from aksara.tenancy import TenantModel

PROJECT_STATUSES = ("active", "paused", "archived")


class Label(Model):
    name = fields.String(max_length=40, unique=True)
    color = fields.String(max_length=7, default="#888888")

    class Meta:
        table_name = "pf_labels"


class Project(TenantModel):
    title = fields.String(max_length=120)
    status = fields.String(max_length=20, choices=[(s, s) for s in PROJECT_STATUSES], default="active")
    priority = fields.Integer(default=3)
    budget = fields.Decimal(max_digits=12, decimal_places=2, nullable=True)
    slug = fields.String(max_length=60, nullable=True)
    secret_notes = fields.Text(nullable=True, ai_sensitive=True)
    approved = fields.Boolean(default=False, ai_agent_writable=False)
    audit_code = fields.String(max_length=32, nullable=True)
    labels = fields.ManyToMany(Label, related_name="projects")

    class Meta:
        table_name = "pf_projects"


# Aksara has no system_only keyword; its policy engine reads this attribute (security/policy.py).
Project._fields["audit_code"].system_only = True


class Document(SoftDeleteModel, TenantModel):
    title = fields.String(max_length=120)
    body = fields.Text(nullable=True)
    pinned = fields.Boolean(default=False)

    class Meta:
        table_name = "pf_documents"


class Memo(Model):
    org_id = fields.UUID()
    subject = fields.String(max_length=120)
    body = fields.Text(nullable=True)

    class Meta:
        table_name = "pf_memos"


class Milestone(TenantModel):
    name = fields.String(max_length=80, nullable=True)
    points = fields.Integer(nullable=True)
    note = fields.Text(nullable=True)
    ref = fields.String(max_length=40, nullable=True)
    labels = fields.ManyToMany(Label, related_name="milestones")

    class Meta:
        table_name = "pf_milestones"


MODELS = {"Label": Label, "Project": Project, "Document": Document, "Memo": Memo, "Milestone": Milestone}
