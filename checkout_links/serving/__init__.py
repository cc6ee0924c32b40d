"""Running the web app under gunicorn: the command-line launcher and the redacting access log."""
