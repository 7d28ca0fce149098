"""Adapters: the web pages, the command line, the reviewers' Datasette and operations. No SQL: they call the rules."""
