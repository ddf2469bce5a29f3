"""Per-OS pieces, each in its own module, chosen in one place (``sketchd.devices`` etc.)."""
