"""The reference check-in registry: kiosks upload records, download trust and deny lists."""
