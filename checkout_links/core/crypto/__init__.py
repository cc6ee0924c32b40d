"""The service's secrets as one key per purpose, and the base64url spelling of tokens and ids."""
