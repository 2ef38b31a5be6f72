"""Convert documents inside LibreOffice: a Python macro the UNO bridge calls once for several.

Driven from outside, a conversion is five calls across the process boundary (load, export,
ask the page count, close...), and with two LibreOffices busy on two cores each call waited
for the other side to be scheduled: each LibreOffice sat idle about a sixth of the time, and
docgen's converter made some 12% fewer PDFs a second than ``soffice --convert-to`` did. Run
inside LibreOffice, as this macro, the conversion is one call, and it takes several documents,
so that LibreOffice goes from one to the next as ``soffice --convert-to`` does, without waiting
for a round trip through the bridge and docgen between them.

The macro runs on the thread the bridge's call came in on; it hands the documents to
LibreOffice's main thread, where ``soffice --convert-to`` converts too. Converted on the calling
thread, each load and export passed work across to the main thread and back: in paired runs on
the samples' documents that took 5-7% more processor time and made 6-9% fewer PDFs a second.

:mod:`docgen.convert.uno_bridge` copies this file into the profile's ``user/Scripts/python``
folder before it starts LibreOffice, and calls :func:`convert` through LibreOffice's Python
script provider (Debian's ``libreoffice-script-provider-python``; without it the bridge makes
the calls itself, as before). It runs in LibreOffice's own Python: the standard library and
``uno`` only, never docgen.
"""

import json
import threading

import uno
import unohelper
from com.sun.star.awt import XCallback
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
    LibreOffice cannot open or export it."""
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


def convert_each(desktop, requests, died=lambda error: False):
    """Convert each request in turn; one result a request, ``{"ok": true, "pages": N}`` or
    ``{"ok": false, "error": "..."}``: a document LibreOffice cannot open or export does not stop
    the others. An error ``died`` says LibreOffice itself died of is raised instead. The bridge
    calls it from outside where the macro cannot run."""
    results = []
    for request in requests:
        try:
            results.append({"ok": True, "pages": convert_document(desktop, request)})
        except Exception as error:
            if died(error):
                raise
            results.append({"ok": False, "error": f"LibreOffice could not convert it ({type(error).__name__})"})
    return results


class _OnMainThread(unohelper.Base, XCallback):
    """``work`` run by LibreOffice's main thread (com.sun.star.awt.AsyncCallback); :meth:`result`
    waits for it."""

    def __init__(self, context, work):
        self._work, self._done, self._outcome = work, threading.Event(), None
        callback = context.ServiceManager.createInstanceWithContext("com.sun.star.awt.AsyncCallback", context)
        callback.addCallback(self, None)

    def notify(self, data):
        try:
            self._outcome = (True, self._work())
        except Exception as error:
            self._outcome = (False, error)
        finally:
            self._done.set()

    def result(self):
        self._done.wait()  # if LibreOffice hangs, docgen sees no new PDF and stops it
        ok, value = self._outcome
        if not ok:
            raise value
        return value


def convert(requests):
    """The macro: a JSON list of requests; returns the JSON list of their results."""
    desktop = XSCRIPTCONTEXT.getDesktop()  # noqa: F821 - given to every macro by LibreOffice
    context = XSCRIPTCONTEXT.getComponentContext()  # noqa: F821
    on_main = _OnMainThread(context, lambda: convert_each(desktop, json.loads(requests)))
    return json.dumps(on_main.result())


g_exportedScripts = (convert,)
