"""What every long-running part of the kiosk shares: service lifecycle, signals, systemd, logs."""
