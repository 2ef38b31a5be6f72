"""The docgen command line: a thin layer over :mod:`docgen.pipeline` and the stage modules."""

from __future__ import annotations

import click

from docgen import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="docgen")
def cli() -> None:
    """Fill English children's services documents from validated JSON case bundles."""
