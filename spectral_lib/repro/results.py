"""Results files: an experiment's typed results with a schema version, checked on write and on read.

``results/<name>.json`` holds one :class:`Results` (a training run's own file is its *record*,
:mod:`store`): which experiment wrote it (``experiment``), the version of that experiment's schema
(``schema_version``), the profile, the machine that executed the notebook, the library versions and
the commit of the code (``commit``, :func:`store.code_version`; ``None`` in a file written before
results files named it), and the experiment's summary, whose keys are the experiment's ``fields`` and
whose values have their types all the way down (:mod:`schema`). A file of another schema version, or
whose summary lacks a field or has a value of the wrong type, is refused with what to re-run. A
:class:`Results` is read-only all the way down (:func:`frozen`): what reads it cannot change what the
next reader, or the report, sees.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import json
from pathlib import Path

from spectral_lib.files import read_json, write_json
from spectral_lib.repro import schema
from spectral_lib.repro.profiles import output_root, relative
from spectral_lib.repro.store import code_version
from spectral_lib.utils import machine, versions

_META = ("experiment", "schema_version", "profile", "machine", "versions", "commit")


class _ReadOnly:
    """Refuses every change; copies and pickles as its ``_plain`` type's contents."""

    _plain: type

    def _refuse(self, *args, **kwargs):
        raise TypeError("a Results is read-only: change a copy (`list(...)`, `dict(...)`)")

    def __reduce__(self):
        return type(self), (self._plain(self),)


class ReadOnlyList(_ReadOnly, list):
    """A results summary's list: it compares, iterates and serializes as a list and refuses every change."""

    _plain = list
    append = extend = insert = pop = remove = clear = sort = reverse = _ReadOnly._refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _ReadOnly._refuse


class ReadOnlyDict(_ReadOnly, dict):
    """A results summary's dict: it compares, iterates and serializes as a dict and refuses every change."""

    _plain = dict
    update = pop = popitem = clear = setdefault = _ReadOnly._refuse
    __setitem__ = __delitem__ = __ior__ = _ReadOnly._refuse


def frozen(value):
    """``value`` (JSON: dicts, lists, scalars) read-only all the way down: each dict a
    :class:`ReadOnlyDict`, each list a :class:`ReadOnlyList`."""
    if isinstance(value, dict):
        return ReadOnlyDict({key: frozen(item) for key, item in value.items()})
    if isinstance(value, list):
        return ReadOnlyList(frozen(item) for item in value)
    return value


def thawed(value):
    """The plain JSON of a :func:`frozen` value (dicts and lists again)."""
    if isinstance(value, dict):
        return {key: thawed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [thawed(item) for item in value]
    return value


@dataclasses.dataclass(frozen=True)
class Results(collections.abc.Mapping):
    """One experiment's results: its provenance and its ``summary``, read as one mapping
    (``results["speedup"]``, ``results["machine"]``), read-only all the way down (:func:`frozen`)."""

    experiment: str
    schema_version: int
    profile: str
    machine: str
    versions: dict
    commit: str | None
    summary: dict

    def __post_init__(self):
        for key in ("versions", "summary"):
            object.__setattr__(self, key, frozen(getattr(self, key)))

    def __getitem__(self, key):
        if key in _META:
            return getattr(self, key)
        return self.summary[key]

    def __iter__(self):
        return iter((*_META, *self.summary))

    def __len__(self):
        return len(_META) + len(self.summary)

    def to_json(self) -> dict:
        return thawed({**{key: getattr(self, key) for key in _META}, **self.summary})


def check(experiment, summary: dict, where: str) -> None:
    """Raise unless ``summary`` has exactly ``experiment.fields``, each of its type all the way down
    (:func:`schema.conform`)."""
    schema.keys(summary, experiment.fields, f"{where}: the {experiment.name} summary (schema {experiment.schema})")
    for key, hint in experiment.fields.items():
        schema.conform(summary[key], hint, f"{where}: {key}")


def path(name: str, profile: str) -> Path:
    """Where the results of experiment ``name`` under ``profile`` live."""
    return output_root(profile) / "results" / f"{name}.json"


def save(name: str, profile: str, summary: dict) -> Path:
    """Check ``summary`` as JSON (tuples become lists) against the experiment ``name``'s schema and write it
    as :class:`Results` (with the profile, this machine, the versions and the commit) to
    ``results/<name>.json`` of the profile."""
    from spectral_lib.repro import experiment

    exp, as_json = experiment.get(name), json.loads(json.dumps(summary))
    check(exp, as_json, f"results.save({name!r})")
    written = Results(name, exp.schema, profile, machine(), versions(), code_version(), as_json)
    return write_json(path(name, profile), written.to_json())


def load(name: str, profile: str) -> Results | None:
    """The :class:`Results` of experiment ``name`` under ``profile`` (``None`` if not written yet), checked
    against the experiment's schema."""
    from spectral_lib.repro import experiment

    exp, where = experiment.get(name), path(name, profile)
    if not where.exists():
        return None
    payload = read_json(where)
    if payload.get("experiment") != name or payload.get("schema_version") != exp.schema:
        raise ValueError(
            f"{relative(where)} is of experiment {payload.get('experiment')!r} schema "
            f"{payload.get('schema_version')!r}; this code reads {name!r} schema {exp.schema}: delete "
            f"it and execute notebook {exp.notebook} again (`make figures PROFILE={profile} ONLY={name[:2]}`)."
        )
    if missing := [k for k in _META if k not in payload]:
        raise ValueError(
            f"{relative(where)} lacks {missing}: delete it and execute notebook {exp.notebook} again "
            f"(`make figures PROFILE={profile} ONLY={name[:2]}`)."
        )
    summary = {k: v for k, v in payload.items() if k not in _META}
    check(exp, summary, relative(where))
    return Results(**{k: payload[k] for k in _META}, summary=summary)
