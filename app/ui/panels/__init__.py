"""Bottom dock panels: Problems, Summary and Code."""
