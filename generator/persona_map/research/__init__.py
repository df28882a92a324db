"""Research: the manifest, loading and validating sources, features, clustering, segment and suggest."""
