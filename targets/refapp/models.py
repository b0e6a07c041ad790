"""Reference app models: every field type and every kind of restricted field.

``Ticket`` (tenant-scoped) carries the field-type zoo (the validated text kinds Email, URL and
Slug, Time and a text Array among them, so every property that sweeps field kinds reaches their
validation and conversion in Aksara's ORM) and the restricted fields:
``internal_notes`` is ``ai_sensitive``, ``approved`` is ``ai_agent_writable=False``,
``reference_code`` is read-only, ``tenant_id`` is server-controlled.
``Comment`` is tenant-scoped and points at ``Ticket``; ``Category`` is global.
"""

from __future__ import annotations

from aksara import Model, fields
from aksara.tenancy import TenantModel

TICKET_STATUSES = ("open", "pending", "closed")


class Ticket(TenantModel):
    title = fields.String(max_length=120)
    status = fields.String(max_length=20, choices=[(s, s) for s in TICKET_STATUSES], default="open")
    body = fields.Text(nullable=True)
    priority = fields.Integer(default=0)
    views = fields.BigInteger(default=0)
    amount = fields.Decimal(max_digits=10, decimal_places=2, nullable=True)
    score = fields.Float(nullable=True)
    is_urgent = fields.Boolean(default=False)
    due_date = fields.Date(nullable=True)
    resolved_at = fields.DateTime(nullable=True)
    external_ref = fields.UUID(nullable=True)
    meta = fields.JSON(nullable=True)
    internal_notes = fields.Text(nullable=True, ai_sensitive=True)
    approved = fields.Boolean(default=False, ai_agent_writable=False)
    reference_code = fields.String(max_length=32, nullable=True, unique=True)
    contact_email = fields.Email(nullable=True)
    homepage = fields.URL(nullable=True)
    slug = fields.Slug(nullable=True)
    opens_at = fields.Time(nullable=True)
    labels = fields.Array(item_type=str, nullable=True)

    class Meta:
        table_name = "tickets"


# Aksara has no read-only keyword; its policy engine reads this attribute.
Ticket._fields["reference_code"].read_only = True


class Comment(TenantModel):
    ticket = fields.ForeignKey(Ticket, on_delete="CASCADE")
    author = fields.String(max_length=80)
    body = fields.Text()
    is_public = fields.Boolean(default=True)

    class Meta:
        table_name = "comments"


class Category(Model):
    name = fields.String(max_length=60, unique=True)
    description = fields.Text(nullable=True)
    sort_order = fields.SmallInteger(default=0)

    class Meta:
        table_name = "categories"


MODELS = {"Ticket": Ticket, "Comment": Comment, "Category": Category}
