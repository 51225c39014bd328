"""Sync with the check-in registry: records up, signed trust and deny lists down, heartbeats."""
