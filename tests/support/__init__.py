"""Helpers for tests that run the real registry over HTTP."""
