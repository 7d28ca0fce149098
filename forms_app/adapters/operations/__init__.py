"""Operations: the production server, backup and restore, and the demo data."""
