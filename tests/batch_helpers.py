"""Making batches for tests and benchmarks: valid sample bundles varied with fictional people."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from conftest import VALID_SAMPLES

FIRST_NAMES = ["Ada", "Bertie", "Clover", "Dash", "Elsie", "Fergus", "Gemma", "Hugo", "Ivy", "Jasper"]
SURNAMES = ["Pretendson", "Makebelieve", "Imaginary", "Fictional", "Storybook", "Inventedly"]


def samples() -> list[dict]:
    return [json.loads(path.read_text("utf-8")) for path in VALID_SAMPLES]


def vary(sample: dict, n: int, prefix: str = "BATCH") -> dict:
    """A copy of ``sample`` with case reference ``PREFIX-nnnnn`` and other fictional names."""
    bundle = copy.deepcopy(sample)
    bundle["case"]["reference"] = f"{prefix}-{n:05d}"
    surname = SURNAMES[n % len(SURNAMES)]
    for i, child in enumerate(bundle["children"]):
        child["first_name"] = FIRST_NAMES[(n + i) % len(FIRST_NAMES)]
        child["last_name"] = surname
    for member in bundle.get("family_members", []):
        member["last_name"] = surname
    return bundle


def child_names(bundle: dict) -> list[str]:
    return [f"{c['first_name']} {c['last_name']}" for c in bundle["children"]]


def make_bundles(count: int, prefix: str = "BATCH", start: int = 0) -> list[dict]:
    """``count`` bundles cycling through every valid sample (so several authorities and types)."""
    base = samples()
    return [vary(base[n % len(base)], n, prefix) for n in range(start, start + count)]


def write_folder(folder: Path, bundles: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for bundle in bundles:
        (folder / f"{bundle['case']['reference']}.json").write_text(json.dumps(bundle, indent=2), "utf-8")
    return folder


def write_jsonl(path: Path, lines: list[dict | str]) -> Path:
    """One bundle per line; a ``str`` item is written as it is (for broken lines)."""
    with path.open("w", encoding="utf-8") as stream:
        for item in lines:
            stream.write((item if isinstance(item, str) else json.dumps(item)) + "\n")
    return path
