"""One module per `kiosk` command, each with `register(sub)` and `run(args)`."""
