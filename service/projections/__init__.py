"""The read side: the projector, its read tables, rebuild and the read API (docs/projections.md)."""
