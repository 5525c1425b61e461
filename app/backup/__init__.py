"""Backups (``arena backup`` / ``arena restore``): one portable zip file for SQLite and
PostgreSQL alike, so a backup of the embedded SQLite database restores into PostgreSQL and
back. The format and the rules are in docs/OPERATIONS.md ("Backups")."""
