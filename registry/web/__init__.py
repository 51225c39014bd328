"""The registry's HTTP side: one FastAPI router per area, wired by `registry.app.create_app`."""
