"""The rules: what the product decides, with no Flask and no SQL text (they call `forms_app.data`)."""
