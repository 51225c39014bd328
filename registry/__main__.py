"""Entry point for `python -m registry`."""

from registry.cli import main

# Guarded: `serve --workers N` spawns its workers by importing this module again.
if __name__ == "__main__":
    raise SystemExit(main())
