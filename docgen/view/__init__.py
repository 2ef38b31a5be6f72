"""The view stage: what a case may show each reader, below render, forms and validation.

:class:`~docgen.view.context.CaseView` works out, once per bundle and audience, the names every
template and form sees: withheld values replaced (:mod:`docgen.view.withhold`), people and
labels resolved, records (:mod:`docgen.view.records`), dates to print and working days
(:mod:`docgen.view.dates`), and who each copy is for (:mod:`docgen.view.recipients`). Render
(the Word engine), the PDF forms and validation read it; it imports none of them.
"""
