"""docgen: validated case bundles into the documents English children's services send."""

__version__ = "0.1.0"
