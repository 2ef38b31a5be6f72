"""Fillable PDF forms that come back: built blank, pre-filled from a bundle, read back as data.

    from docgen.forms import Forms, fill_forms, extract, extract_many
    from docgen.forms.feedback import collect, summarise, write_report

``forms/<id>.pdf`` are built by ``python -m docgen.forms.build``; ``forms/<id>.fields.toml``
map bundle values to their fields (:mod:`docgen.forms.fieldmap`).
"""

from docgen.forms.extract import Extracted, Outcome, extract, extract_many
from docgen.forms.fieldmap import FormInfo, Forms
from docgen.forms.fill import Filled, fill_forms

__all__ = ["Extracted", "Filled", "FormInfo", "Forms", "Outcome", "extract", "extract_many", "fill_forms"]
