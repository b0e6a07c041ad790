

# The Aksara features (targets/features.py) the platform app is built from. On a release that lacks
# one the target is unavailable: its properties skip, naming the feature, and the rest of a run goes on.
REQUIRES = ("principal", "mcp_claims", "filter_backend", "mcp", "setting:mcp_require_scoped_tokens")
