"""An Aksara app that loads but refuses to start: its lifespan raises (a broken app under ``-n 2``)."""

from __future__ import annotations

from contextlib import asynccontextmanager

from aksara import Aksara, Model, ModelViewSet, fields, include_viewset


class BrokenStartNote(Model):
    text = fields.String(max_length=40)

    class Meta:
        table_name = "broken_start_notes"


class BrokenStartNoteViewSet(ModelViewSet):
    model = BrokenStartNote
    prefix = "/api/notes"
    ai_exposed = False
    stream_enabled = False


@asynccontextmanager
async def _refuse(app):
    raise RuntimeError("the app refuses to start")
    yield


app = Aksara(database_url="postgresql://localhost/placeholder", title="broken start", lifespan=_refuse)
include_viewset(app, BrokenStartNoteViewSet)
