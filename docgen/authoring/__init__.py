"""Tools for policy owners who edit the Word templates: check, fields, preview, snapshot, scaffold.

Each module is one tool; :mod:`docgen.cli_templates` puts a command line over them.
"""
