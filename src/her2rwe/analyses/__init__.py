"""One module per deliverable: tidy, unrounded results tables."""
