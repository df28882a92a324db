"""The persona website: the renderer, its templates, the MkDocs plugin and the generated pages."""
