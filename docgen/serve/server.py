"""Running the API under gunicorn: ``docgen serve``.

gunicorn's threaded workers (``gthread``, reading each request whole before a thread takes it:
:mod:`docgen.serve.worker`): each worker process keeps one pipeline (templates compiled once)
and one warm LibreOffice converter shared by its threads, so a request never pays
LibreOffice's start-up. Logs name the method, path, status and time, never a token (the
Authorization header is not logged) or a body.
"""

from __future__ import annotations

import os
from pathlib import Path

from gunicorn.app.base import BaseApplication

from docgen.serve.app import converter_jobs_for, create_app
from docgen.serve.data import DataFolder
from docgen.serve.housekeeping import KEEP_DAYS, Sweeper
from docgen.serve.posting import check_key_file
from docgen.serve.worker import RequestBufferingWorker

ACCESS_LOG_FORMAT = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'


class _Server(BaseApplication):
    def __init__(self, data: DataFolder, templates: Path | None, options: dict, keep_days: int) -> None:
        self.data, self.templates, self.options, self.keep_days = data, templates, options, keep_days
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        app = create_app(self.data, templates=self.templates,
                         converter_jobs=converter_jobs_for(self.options["workers"]), keep_days=self.keep_days)  # fmt: skip
        app.extensions["docgen"].warm_up()
        return app


def serve(data: DataFolder, *, host: str = "127.0.0.1", port: int = 8000, workers: int = 2,
          threads: int = 2, client_timeout: float = 15, templates: Path | None = None,
          keep_days: int = KEEP_DAYS) -> None:  # fmt: skip
    """Serve the API until stopped (SIGTERM or Ctrl-C). Before it listens: jobs and template
    checks older than ``keep_days`` are removed, and a Notify key others can read refused."""
    RequestBufferingWorker.client_timeout = client_timeout  # the workers are forked from here
    os.umask(0o077)  # the register, jobs and logs hold case data: the owner's alone
    data.prepare()
    check_key_file(data.root)
    removed = Sweeper(data.root, keep_days).now()
    if removed:
        print(f"docgen serve: removed {len(removed)} jobs and template checks older than {keep_days} days", flush=True)
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": f"{RequestBufferingWorker.__module__}.{RequestBufferingWorker.__name__}",
        "timeout": 120,
        "graceful_timeout": 30,
        "accesslog": "-",
        "access_log_format": ACCESS_LOG_FORMAT,
        "errorlog": "-",
        "umask": 0o077,
        "control_socket_disable": True,
        "limit_request_line": 8190,
    }
    _Server(data, templates, options, keep_days).run()
