"""The door: a relay that opens on PASS, and a hook that tells building systems of decisions."""
