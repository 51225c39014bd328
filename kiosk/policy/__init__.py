"""The venue policy: which codes PASS here, and why the others FAIL."""
