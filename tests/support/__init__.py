"""Helpers that run real servers (redis-server, nginx, gunicorn) on loopback for tests."""
