"""The merchant API under ``/api/v1``: views, response models, the OpenAPI document."""
