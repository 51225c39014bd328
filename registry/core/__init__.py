"""The registry's services, one module per responsibility; `registry.service` wires them."""
