"""Small rules every package uses: timestamps, free-text input, JSON."""
