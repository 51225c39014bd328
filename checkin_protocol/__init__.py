"""What the kiosk and the registry both speak: passes, keys, signed lists, records, time."""

__version__ = "0.2.0"
