"""Who may write: principals acting for parties, their bearer tokens, grants and rights."""
