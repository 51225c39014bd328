"""QR check-in kiosk: camera → decode → verify → venue policy → durable record → screen."""

from checkin_protocol import __version__

__all__ = ["__version__"]
