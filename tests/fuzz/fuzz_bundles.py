"""Coverage-guided fuzzing of bundle loading, validation and rendering (atheris, libFuzzer).

Each input is tried two ways:

- as the bytes of a bundle file, read from standard input the way ``docgen validate -`` reads it;
- as an edit of a sample bundle: one of its strings, numbers or lists replaced by fuzzed
  data, so that inputs get past JSON parsing and the schema and reach the later checks and
  every template.

Anything but a DocgenError (a clear message with an exit code) is a crash: atheris prints the
traceback and saves the input. A valid bundle must also render every document it can fill.

    .venv/bin/python tests/fuzz/fuzz_bundles.py -max_total_time=60      # CI: one minute
    .venv/bin/python tests/fuzz/fuzz_bundles.py crash-1234abcd           # replay a saved input
"""

from __future__ import annotations

import copy
import io
import json
import sys
from datetime import date
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["docgen"]):
    from docgen.bundle.load import STDIN
    from docgen.exceptions import DocgenError
    from docgen.pipeline import Pipeline

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted((ROOT / "samples" / "valid").glob("*.json"))
BASES = [json.loads(path.read_text("utf-8")) for path in SAMPLES]
PIPELINE = Pipeline(today=date(2026, 11, 22))
TEXT_MODE, EDIT_MODE = 0, 1


def leaves(value, path=()):
    """Every (path, value) below ``value`` that an edit may replace."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield path + (key,), item
            yield from leaves(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield path + (index,), item
            yield from leaves(item, path + (index,))


def edited(fdp: atheris.FuzzedDataProvider) -> bytes:
    """A sample bundle with one value replaced by something the fuzzer chose."""
    data = copy.deepcopy(BASES[fdp.ConsumeIntInRange(0, len(BASES) - 1)])
    places = list(leaves(data))
    path, _ = places[fdp.ConsumeIntInRange(0, len(places) - 1)]
    kind = fdp.ConsumeIntInRange(0, 4)
    if kind == 0:
        value = fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 300))
    elif kind == 1:
        value = fdp.ConsumeInt(8)
    elif kind == 2:
        value = [fdp.ConsumeUnicodeNoSurrogates(40) for _ in range(fdp.ConsumeIntInRange(0, 5))]
    elif kind == 3:
        value = None
    else:
        value = fdp.ConsumeBool()
    target = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return json.dumps(data, ensure_ascii=fdp.ConsumeBool()).encode("utf-8")


def one_input(raw: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(raw)
    mode = fdp.ConsumeIntInRange(TEXT_MODE, EDIT_MODE)
    content = fdp.ConsumeBytes(len(raw)) if mode == TEXT_MODE else edited(fdp)
    try:
        bundle = PIPELINE.load(STDIN, stdin=io.BytesIO(content))
    except DocgenError:
        return
    ready, _ = PIPELINE.fillable(bundle)
    failed = [(r.stem, r.error.message) for r in PIPELINE.render(bundle, ready) if not r.ok]
    if failed:
        raise AssertionError(f"a valid bundle's documents failed: {failed}")


def seed_corpus() -> Path:
    """./corpus: each sample in each mode, so the fuzzer starts from real bundles (and keeps
    what it learns there)."""
    folder = Path.cwd() / "corpus"
    folder.mkdir(exist_ok=True)
    for index, path in enumerate(SAMPLES):
        (folder / f"text-{path.stem}").write_bytes(bytes([TEXT_MODE]) + path.read_bytes())
        (folder / f"edit-{path.stem}").write_bytes(bytes([EDIT_MODE, index]) + bytes(range(64)))
    return folder


if __name__ == "__main__":
    argv = list(sys.argv)
    if not any(not a.startswith("-") for a in argv[1:]):
        argv.append(str(seed_corpus()))
    atheris.Setup(argv, one_input)
    atheris.Fuzz()
