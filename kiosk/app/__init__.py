"""The composition root: `kiosk run` wired from the config, started in order, stopped in reverse."""
