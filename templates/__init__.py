"""The email's shipped templates (installed as the package `digest.templates`); users may override them."""
