"""The version lock: each template's version and SHA-256 as last recorded on purpose.

``templates/versions.lock.json`` maps a template's path under the templates folder to the version
and SHA-256 recorded by ``docgen templates lock``. A template whose bytes differ from the lock
while its metadata still gives the locked version was changed without a new version number:
documents would claim a version whose wording they do not have.
"""

from __future__ import annotations

import json
from pathlib import Path

from docgen.authoring.problems import ERROR, WARNING, TemplateProblem
from docgen.exceptions import TemplateError
from docgen.atomic import write_atomic
from docgen.registry import TemplateInfo, load_template_info

LOCK_FILE = "versions.lock.json"


def lock_path(root: Path) -> Path:
    return Path(root) / LOCK_FILE


def key_for(root: Path, template: Path) -> str:
    return Path(template).resolve().relative_to(Path(root).resolve()).as_posix()


def read_lock(root: Path) -> dict[str, dict]:
    path = lock_path(root)
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as e:
        raise TemplateError(f"The version lock cannot be read ({e}).", source=str(path)) from e
    if not isinstance(data, dict):
        raise TemplateError("The version lock is not a JSON object.", source=str(path))
    return data


def check_version(root: Path, info: TemplateInfo, lock: dict[str, dict]) -> TemplateProblem | None:
    """An error when the template changed but its version did not; a warning when not yet locked."""
    entry = lock.get(key_for(root, info.path))
    toml = info.meta_path.name
    if entry is None:
        return TemplateProblem(WARNING, "not-locked", f"version {info.version} is not in {LOCK_FILE} yet",
                               "run `docgen templates lock` to record it")
    if entry.get("sha256") == info.sha256:
        if entry.get("version") != info.version:
            return TemplateProblem(WARNING, "version-not-locked",
                                   f"the version changed to {info.version} but the template did not",
                                   f"put `version` in {toml} back to {entry.get('version')}, or run `docgen templates lock`")
        return None
    locked = str(entry.get("version"))
    if locked == info.version:
        return TemplateProblem(ERROR, "changed-without-version",
                               f"changed since version {locked} without a new version number",
                               f"raise `version` in {toml}")
    if _as_tuple(info.version) < _as_tuple(locked):
        return TemplateProblem(ERROR, "version-went-down",
                               f"the version went down from {locked} to {info.version}",
                               f"give `version` in {toml} a number above {locked}")
    return TemplateProblem(WARNING, "version-not-locked", f"version {info.version} is not in {LOCK_FILE} yet",
                           "run `docgen templates lock` to record it")


def _as_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())


def update_lock(root: Path, *, force: bool = False) -> list[str]:
    """Record every template's version and SHA-256; refuse one changed without a new version.

    Returns one line per change made. With ``force`` a changed template is recorded anyway.
    """
    root = Path(root)
    old = read_lock(root)
    new: dict[str, dict] = {}
    refused: list[str] = []
    for path in sorted(root.glob("*/*.docx")):
        info = load_template_info(path, path.parent.name)
        key = key_for(root, path)
        problem = check_version(root, info, old)
        if problem is not None and problem.severity == ERROR and not force:
            refused.append(f"{key}: {problem.summary}")
        new[key] = {"version": info.version, "sha256": info.sha256}
    if refused:
        raise TemplateError("Not locked: " + "; ".join(refused) + ".", source=str(lock_path(root)))
    changes = [f"{key}: version {value['version']}" for key, value in new.items() if old.get(key) != value]
    changes += [f"{key}: removed" for key in old if key not in new]
    if changes or not lock_path(root).is_file():
        text = json.dumps(new, indent=2, sort_keys=True) + "\n"
        write_atomic(lock_path(root).resolve(), text.encode("utf-8"))
    return changes
