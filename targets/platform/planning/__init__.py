"""The platform app's planning part: its viewsets live in ``views`` and are registered with Aksara's
``include_app_viewsets(app, "targets.platform.planning", module_name="views")`` (the routing guide's
import-and-register helper), not listed by hand."""
