"""`python -m forms_app.data.migrations` prints the schema the migrations build (forms_app/data/schema.sql)."""

from forms_app.data.migrations import schema_sql

print(schema_sql(), end="")
