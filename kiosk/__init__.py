"""QR check-in kiosk: camera → decode → verify → venue policy → durable record → screen."""

__version__ = "0.1.0"
