"""An app built the way ``aksara startproject``'s main.py builds it: ``Aksara(database_url=settings.database_url)``
at import, from Aksara's settings (not from ``os.environ``), after other code has imported Aksara, and configures
one setting of its own at import, as the scaffold's settings.py does."""

from __future__ import annotations

from aksara import Aksara, Model, ModelViewSet, fields, include_viewset
from aksara.conf import configure, settings

configure(mcp_token_audience="settings-app")  # an explicit choice of the app's settings module


class SettingsNote(Model):
    text = fields.String(max_length=40)

    class Meta:
        table_name = "settings_notes"


class SettingsNoteViewSet(ModelViewSet):
    model = SettingsNote
    prefix = "/api/notes"
    ai_exposed = False
    stream_enabled = False


app = Aksara(database_url=settings.database_url, title="settings app", debug=settings.debug)
include_viewset(app, SettingsNoteViewSet)
