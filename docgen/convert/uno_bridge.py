"""Keep one LibreOffice running and convert the documents asked for on standard input.

This file is run by Debian's ``/usr/bin/python3``, the only Python where LibreOffice's UNO
bridge (``python3-uno``) imports, so it uses the standard library and ``uno`` alone and never
imports docgen. :mod:`docgen.convert.bridge` starts it, one per converter worker.

Documents are converted inside LibreOffice by the macro in ``in_office.py``, one call for
each request's documents, where LibreOffice's Python script provider is installed; else the
bridge makes the calls itself (see that module for why it matters).

Protocol, one JSON object a line. The first argument is the settings: ``{"soffice", "profile",
"pipe", "startup_timeout"}`` and optionally ``"in_office": false`` (the calls made from here
even where the macro could run). Once LibreOffice answers, the bridge prints ``{"ready": true,
"in_office": true|false}``;
then for each request ``{"documents": [{"source", "target", "filter"}, ...]}`` it converts the
documents in order and prints ``{"results": [...]}``, one a document: ``{"ok": true, "pages": N}``
(N null when LibreOffice cannot say) or ``{"ok": false, "error": "..."}``. When LibreOffice itself
dies it prints ``{"ok": false, "error": ..., "fatal": true, "returncode": N}`` and exits, and the
caller starts a new bridge; the PDFs already written show how far it got.
"""

import json
import os
import shutil
import subprocess
import sys
import time

import uno
from com.sun.star.connection import NoConnectException
from com.sun.star.lang import DisposedException
from com.sun.star.uno import RuntimeException

from in_office import convert_each  # beside this file, which Python puts first on its path


def reply(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


IN_OFFICE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "in_office.py")
IN_OFFICE_SCRIPT = "vnd.sun.star.script:docgen_in_office.py$convert?language=Python&location=user"


def install_macro(profile_url):
    """Put the in-office macro where LibreOffice looks for the user's Python scripts."""
    folder = os.path.join(uno.fileUrlToSystemPath(profile_url), "user", "Scripts", "python")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    shutil.copyfile(IN_OFFICE, os.path.join(folder, "docgen_in_office.py"))


def in_office_script(context):
    """The in-office macro, or None where LibreOffice cannot run Python macros."""
    try:
        factory = context.ServiceManager.createInstanceWithContext(
            "com.sun.star.script.provider.MasterScriptProviderFactory", context
        )
        return factory.createScriptProvider("").getScript(IN_OFFICE_SCRIPT)
    except Exception:
        return None


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
    script = in_office_script(context) if settings.get("in_office", True) else None
    return office, desktop, script


def convert(desktop, script, requests, died):
    """Convert the documents, inside LibreOffice when the macro runs there; their results."""
    if script is None:
        return convert_each(desktop, requests, died)
    answer, _, _ = script.invoke((json.dumps(requests),), (), ())
    return json.loads(answer)


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
        if settings.get("in_office", True):
            install_macro(settings["profile"])
        office, desktop, script = start_office(settings)
    except SystemExit as stop:
        reply({"ready": False, "error": str(stop)})
        return 1
    reply({"ready": True, "in_office": script is not None})

    def died(error):
        return _exit_code_after(office, error) is not None

    try:
        for line in sys.stdin:
            requests = json.loads(line)["documents"]
            try:
                results = convert(desktop, script, requests, died)
            except Exception as e:
                if died(e):
                    reply({"ok": False, "fatal": True, "returncode": office.returncode,
                           "error": "LibreOffice stopped while converting it"})  # fmt: skip
                    return 1
                results = [{"ok": False, "error": f"LibreOffice could not convert it ({type(e).__name__})"}]
                results *= len(requests)
            reply({"results": results})
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
