"""requirements.lock against pyproject.toml's ranges, and the running environment against the lock."""

import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
EXTRAS = ("test", "tensorflow", "jax", "torch")  # those of `make install` (.ci/lock.py)


def locked() -> dict[str, str]:
    lines = (ROOT / "requirements.lock").read_text().splitlines()
    pins = [line.split("==") for line in lines if line and not line.startswith("#")]
    return {canonicalize_name(name): version for name, version in pins}


def requirements(project: dict, extras) -> list[Requirement]:
    """The package's requirements with ``extras``, its own extras (``spectral-cnn[search]``) expanded."""
    found, pending, seen = [Requirement(r) for r in project["dependencies"]], list(extras), set()
    while pending:
        extra = pending.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for requirement in map(Requirement, project["optional-dependencies"][extra]):
            if canonicalize_name(requirement.name) == canonicalize_name(project["name"]):
                pending.extend(requirement.extras)
            else:
                found.append(requirement)
    return found


def test_every_line_of_the_lock_pins_one_exact_version():
    lines = [line for line in (ROOT / "requirements.lock").read_text().splitlines() if not line.startswith("#")]
    assert lines and all(line.count("==") == 1 and " " not in line for line in lines), lines
    assert len(locked()) == len(lines), "a distribution is locked twice"


def test_the_lock_satisfies_every_range_of_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = locked()
    for requirement in requirements(project, EXTRAS):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is not in requirements.lock: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {name}=={pins[name]}, outside pyproject.toml's {requirement}: run `make lock`"
        )


def test_the_expansion_of_the_package_own_extras_reaches_the_search_and_tensorflow():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {canonicalize_name(r.name) for r in requirements(project, ["test"])}
    assert {"optuna", "tensorflow", "pytest", "keras"} <= names
    assert "torch" not in names and "spectral-cnn" not in names


def test_the_environment_has_every_locked_version():
    wrong = {}
    for name, version in locked().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            wrong[name] = (version, installed)
    assert not wrong, f"locked (version, installed): {wrong}; `make install` installs the lock"
