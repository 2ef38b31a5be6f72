"""Convert one document inside LibreOffice: a Python macro the UNO bridge calls once a document.

Driven from outside, a conversion is five calls across the process boundary (load, export,
ask the page count, close...), and with two LibreOffices busy on two cores each call waited
for the other side to be scheduled: each LibreOffice sat idle about a sixth of the time, and
docgen's converter made some 12% fewer PDFs a second than ``soffice --convert-to`` did. Run
inside LibreOffice, as this macro, the conversion is one call, and LibreOffice converts as fast
as on its own.

:mod:`docgen.convert.uno_bridge` copies this file into the profile's ``user/Scripts/python``
folder before it starts LibreOffice, and calls :func:`convert` through LibreOffice's Python
script provider (Debian's ``libreoffice-script-provider-python``; without it the bridge makes
the calls itself, as before). It runs in LibreOffice's own Python: the standard library and
``uno`` only, never docgen.
"""

import json

import uno
from com.sun.star.beans import PropertyValue

NEVER_EXECUTE = 0  # com.sun.star.document.MacroExecMode: a document's own macros never run


def properties(values):
    result = []
    for name, value in values.items():
        prop = PropertyValue()
        prop.Name, prop.Value = name, value
        result.append(prop)
    return tuple(result)


def convert_document(desktop, request):
    """Convert ``request`` (``{"source", "target", "filter"}``: paths, PDF export options) with
    ``desktop``; returns the PDF's page count (None when LibreOffice cannot say), raises when
    LibreOffice cannot open or export it. The bridge calls it from outside where the macro
    cannot run."""
    load = properties({"Hidden": True, "ReadOnly": True, "MacroExecutionMode": NEVER_EXECUTE})
    document = desktop.loadComponentFromURL(uno.systemPathToFileUrl(request["source"]), "_blank", 0, load)
    if document is None:
        raise ValueError("LibreOffice could not open it")
    try:
        filter_data = uno.Any("[]com.sun.star.beans.PropertyValue", properties(request["filter"]))
        arguments = properties({"FilterName": "writer_pdf_Export", "FilterData": filter_data})
        uno.invoke(document, "storeToURL", (uno.systemPathToFileUrl(request["target"]), arguments))
        try:
            return document.getCurrentController().getPropertyValue("PageCount")
        except Exception:
            return None
    finally:
        try:
            document.close(True)
        except Exception:
            document.dispose()


def convert(request):
    """The macro: ``request`` as JSON; returns JSON ``{"pages": N}``."""
    desktop = XSCRIPTCONTEXT.getDesktop()  # noqa: F821 - given to every macro by LibreOffice
    return json.dumps({"pages": convert_document(desktop, json.loads(request))})


g_exportedScripts = (convert,)
