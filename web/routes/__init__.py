"""The web tier's routers, one module per audience."""
