"""The log's own vocabulary: event envelopes, their canonical bytes and leaf hashes (pure)."""
