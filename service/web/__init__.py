"""Server-rendered HTML pages over the same read side as the API (docs/pages.md)."""
