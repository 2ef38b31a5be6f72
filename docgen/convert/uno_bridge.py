"""Keep one LibreOffice running and convert the documents asked for on standard input.

This file is run by Debian's ``/usr/bin/python3``, the only Python where LibreOffice's UNO
bridge (``python3-uno``) imports, so it uses the standard library and ``uno`` alone and never
imports docgen. :mod:`docgen.convert.bridge` starts it, one per converter worker.

Protocol, one JSON object a line. The first argument is the settings: ``{"soffice", "profile",
"pipe", "startup_timeout"}``. Once LibreOffice answers, the bridge prints ``{"ready": true}``;
then for each request ``{"source", "target", "filter"}`` it prints ``{"ok": true, "pages": N}``
(N null when LibreOffice cannot say) or
``{"ok": false, "error": "..."}``. When LibreOffice itself dies it prints ``{"ok": false,
"error": ..., "fatal": true}`` and exits, and the caller starts a new bridge.
"""

import json
import subprocess
import sys
import time

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException
from com.sun.star.lang import DisposedException
from com.sun.star.uno import RuntimeException


def properties(values):
    result = []
    for name, value in values.items():
        prop = PropertyValue()
        prop.Name, prop.Value = name, value
        result.append(prop)
    return tuple(result)


def reply(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def start_office(settings):
    accept = f"pipe,name={settings['pipe']};urp;StarOffice.ComponentContext"
    command = [
        settings["soffice"], f"-env:UserInstallation={settings['profile']}", "--headless",
        "--invisible", "--nologo", "--norestore", "--nodefault", "--nolockcheck",
        f"--accept={accept}",
    ]  # fmt: skip
    office = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    deadline = time.monotonic() + settings["startup_timeout"]
    while True:
        try:
            context = resolver.resolve(f"uno:{accept}")
            break
        except NoConnectException:
            if office.poll() is not None:
                raise SystemExit(f"LibreOffice exited with code {office.returncode} on start-up")
            if time.monotonic() > deadline:
                raise SystemExit("LibreOffice did not start in time")
            time.sleep(0.05)
    desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
    return office, desktop


def convert(desktop, request):
    source = uno.systemPathToFileUrl(request["source"])
    target = uno.systemPathToFileUrl(request["target"])
    document = desktop.loadComponentFromURL(
        source, "_blank", 0, properties({"Hidden": True, "ReadOnly": True})
    )
    if document is None:
        raise ValueError("LibreOffice could not open it")
    try:
        filter_data = uno.Any("[]com.sun.star.beans.PropertyValue", properties(request["filter"]))
        arguments = properties({"FilterName": "writer_pdf_Export", "FilterData": filter_data})
        uno.invoke(document, "storeToURL", (target, arguments))
        return _page_count(document)
    finally:
        try:
            document.close(True)
        except Exception:
            document.dispose()


def _page_count(document):
    """The pages of the PDF just written, from the layout the export used (well under a
    millisecond, where reading the PDF back costs docgen some three); None if not known."""
    try:
        return document.getCurrentController().getPropertyValue("PageCount")
    except Exception:
        return None


def _exit_code_after(office, error):
    """LibreOffice's exit code when ``error`` came from it dying, else None (a bad document)."""
    if not isinstance(error, (DisposedException, RuntimeException)):
        return None
    try:
        return office.wait(timeout=2)
    except subprocess.TimeoutExpired:
        return None


def main():
    settings = json.loads(sys.argv[1])
    try:
        office, desktop = start_office(settings)
    except SystemExit as stop:
        reply({"ready": False, "error": str(stop)})
        return 1
    reply({"ready": True})
    try:
        for line in sys.stdin:
            request = json.loads(line)
            try:
                pages = convert(desktop, request)
                reply({"ok": True, "pages": pages})
            except Exception as e:
                code = _exit_code_after(office, e)
                if code is not None:
                    reply({"ok": False, "fatal": True, "returncode": code,
                           "error": "LibreOffice stopped while converting it"})  # fmt: skip
                    return 1
                reply({"ok": False, "error": f"LibreOffice could not convert it ({type(e).__name__})"})
    finally:
        try:
            desktop.terminate()
        except Exception:
            pass
        try:
            office.wait(timeout=10)
        except subprocess.TimeoutExpired:
            office.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
