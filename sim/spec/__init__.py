"""The scenario: its data model, loader, schema, overlays, levers and fitted layer."""
