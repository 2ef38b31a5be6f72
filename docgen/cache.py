"""docgen's cache folder: what can be made again, kept between runs to save time.

It holds LibreOffice's user profiles (:mod:`docgen.convert.profiles`), the warm converter
service's socket (:mod:`docgen.convert.service`) and compiled templates
(:mod:`docgen.render.compiled_cache`). Removing it loses nothing but speed.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """$DOCGEN_CACHE_DIR, else $XDG_CACHE_HOME/docgen, else ~/.cache/docgen."""
    explicit = os.environ.get("DOCGEN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "docgen"
