"""The data layer: every SQL statement of forms.db and accounts.db, one module per family of tables."""
