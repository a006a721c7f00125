"""Form definitions (workflows/forms/*.json), their marshmallow schemas and JSON Schemas."""
