"""The product: units fill and submit their forms, reviewers read, decide and certify.

Three layers, imports one way (docs/architecture.md):

- `forms_app.adapters`: the Flask pages (`adapters.web`), the `forms-app` command line
  (`adapters.cli`), the reviewers' Datasette (`adapters.reviewers`) and operations (server,
  backup, demo). No SQL: they call the rules.
- `forms_app.rules`: what the product decides (windows and deadlines, submitting, deciding and
  adjusting, inspections, proposals, accounts, uploads, certificates, imports, reporting). No Flask and no SQL text: they
  call the data layer.
- `forms_app.data`: every SQL statement of both databases, the migrations and the description of
  every column reviewers see. Imports nothing above it.
"""
