"""Showing a batch's progress: a live bar on a terminal, plain log lines anywhere else.

The bar is tqdm's: it keeps a smoothed rate and time left, redraws at most a few times a second,
prints messages above itself without breaking (``tqdm.write``) and works on any terminal.
click's progressbar has no room for the documents and failures counts next to the bar.
When standard error is not a terminal (a log file, cron, CI), a line is printed at most every
``every`` seconds instead, and one line per failure either way.
"""

from __future__ import annotations

import sys
import time

import click


class Progress:
    """Counts bundles and documents as results arrive and shows them on standard error."""

    def __init__(self, total_bundles: int, *, enabled: bool = True, every: float = 10.0,
                 terminal: bool | None = None) -> None:  # fmt: skip
        self.total = total_bundles
        self.enabled = enabled
        self.every = every
        self.bundles = self.documents = self.failed = 0
        self.started = self._last_line = time.monotonic()
        terminal = sys.stderr.isatty() if terminal is None else terminal
        self._bar = None
        if enabled and terminal:
            from tqdm import tqdm

            self._bar = tqdm(total=total_bundles, unit="bundle", file=sys.stderr, dynamic_ncols=True,
                             bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} bundles "
                                        "[{elapsed}<{remaining}]{postfix}")  # fmt: skip

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def advance(self, documents: int, failed: int) -> None:
        """One more bundle done, with this many documents made (or skipped) and failed."""
        self.bundles += 1
        self.documents += documents
        self.failed += failed
        if self._bar is not None:
            self._bar.set_postfix_str(f"{self.documents} documents, {self.failed} failed, {self.rate():.1f} docs/s",
                                      refresh=False)  # fmt: skip
            self._bar.update(1)
        elif self.enabled and time.monotonic() - self._last_line >= self.every:
            self._line()

    def note(self, message: str) -> None:
        """A line of its own (a failure), kept clear of the bar."""
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.write(message, file=sys.stderr)
        else:
            click.echo(message, err=True)

    def rate(self) -> float:
        seconds = time.monotonic() - self.started
        return self.documents / seconds if seconds > 0 else 0.0

    def _line(self) -> None:
        self._last_line = time.monotonic()
        left = ""
        if self.bundles and self.total > self.bundles:
            seconds = (self._last_line - self.started) / self.bundles * (self.total - self.bundles)
            left = f", about {_clock(seconds)} left"
        click.echo(
            f"progress: {self.bundles} of {self.total} bundles, {self.documents} documents, "
            f"{self.failed} failed, {self.rate():.1f} documents/s{left}",
            err=True,
        )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
