"""The contract every experiment implements, and the registry that report, pipeline and tests loop over.

An experiment is one figure or table of the paper: one module of :mod:`spectral_lib.repro`, one notebook,
one results file ``results/<name>.json`` and the runs it trains. A subclass of :class:`Experiment` states

- ``name`` (``"04_fig5"``: the results file, the runs' folder), ``notebook`` (its notebook's stem) and
  ``title`` (its README heading); ``profiles``: its *config* under each of :data:`profiles.NAMES`
  (what the profile asks of it: sizes, epochs, trials; *settings* are a training run's,
  :mod:`run_settings`);
  ``requires``: the experiments whose outputs it reads, through their modules' functions (never their
  config), and ``snapshots(profile)``: by seed of the runs it reads, the epochs after which it reads
  their state (saved by their plans);
- ``schema`` and ``fields``: the version and the keys of its results summary with their type hints,
  checked all the way down (:mod:`schema`: ``list[float]``, ``dict[str, Row]`` with ``Row`` a
  ``TypedDict``) by :func:`results.save` on write and :func:`results.load` on read (a renamed key or a
  wrong type deep inside fails there, not after a full reference run);
- in its module, ``summary(...)``: the results summary with exactly those fields, built from what its
  notebook computed or from its recorded runs; the notebook saves that and defines no format of its own
  (a test parses every notebook for it);
- ``plan(profile)``: the runs it trains, each an entry ``{"run": settings, "epochs": int, ...}`` that
  :func:`spectral_lib.repro.runner.train_plan` trains or reuses; ``train(profile)`` trains what the notebook
  reads (``make figures TRAIN=1``): the plan by default, the search for the search;
- ``missing(profile)``: why its notebook cannot be executed from recorded runs alone (``None`` when it
  can), so ``make figures`` never starts hours of training unasked;
- ``verdicts(summary)``: its claims about the paper, each a :class:`verdicts.Verdict` with the
  evidence it rests on (its module's ``judge``), computed whenever the report is written;
- its prose: ``describe(profile)``: what it computes
  or trains under a profile, in a few words from its config (README's table of profiles);
  ``readme_section(summary)``: its README section (``summary`` ``None`` when the reference profile has
  not recorded it); ``readme_choices()``: its bullets of README's "choices the paper leaves open",
  written from its config so that they cannot drift from the code.

Science apart from prose: an experiment's module holds its science as module-level functions, each
tested on its own (``plan``, its metrics, ``summary``, ``judge``: the verdicts of a summary), and its
class binds them to this contract and holds the prose (``describe``, ``readme_section``,
``readme_choices``).

A benchmark (:class:`Benchmark`) is a README section too: a script of ``benchmarks/`` writes
``results/<name>.json`` and its ``readme_section`` turns that into text.

:data:`BUILTIN` is the registry: every experiment and benchmark of the package, as ``"module:Class"``
(an entry point's form), in README order. :func:`register` adds another (a user's figure, a test's toy
experiment). A new figure is one module, one notebook and one line of :data:`BUILTIN`.
"""

from __future__ import annotations

import importlib
from functools import cache

from spectral_lib import files
from spectral_lib.repro import profiles, verdicts


class Section:
    """A section of README: ``title`` over :meth:`readme_section` of what :meth:`load` reads."""

    name: str = ""
    title: str = ""

    def load(self):
        """What the reference profile recorded (``None`` when nothing is)."""
        raise NotImplementedError

    def readme_section(self, recorded) -> list[str]:
        """Its README section (empty: none)."""
        return []


class Benchmark(Section):
    """A benchmark of ``benchmarks/``: its results file ``results/<name>.json`` (the script writes it)."""

    script: str = ""  # the command that writes it, e.g. ``benchmarks/pooling.py``

    def load(self) -> dict | None:
        path = profiles.project_root() / "results" / f"{self.name}.json"
        return files.read_json(path) if path.exists() else None


class Experiment(Section):
    """Base of every experiment (the module docstring gives the contract)."""

    notebook: str = ""
    paper_item: str = ""  # the paper's figure or table, first column of README's table of claims
    schema: int = 1
    fields: dict[str, object] = {}  # key -> type hint (:mod:`schema`)
    profiles: dict[str, dict] = {}
    requires: tuple[str, ...] = ()

    def notebook_path(self):
        """The notebook's file: ``notebooks/<notebook>.ipynb`` of the checkout."""
        return profiles.project_root() / "notebooks" / f"{self.notebook}.ipynb"

    @classmethod
    def config(cls, profile: str) -> dict:
        """The experiment's config under ``profile`` (a copy of its entry of ``profiles``)."""
        if profile not in cls.profiles:
            raise ValueError(f"`profile` must be one of {profiles.NAMES}, got profile={profile!r}.")
        return dict(cls.profiles[profile])

    def load(self):
        """Its results file of the reference profile (``None`` when not recorded)."""
        from spectral_lib.repro import results

        return results.load(self.name, profiles.REFERENCE)

    def describe(self, profile: str) -> str:
        """What it computes or trains under ``profile``, from its config (by default the config itself)."""
        return ", ".join(f"{key} {value}" for key, value in self.config(profile).items()) or "nothing to set"

    def plan(self, profile: str) -> list[dict]:
        """The runs this experiment trains under ``profile`` (none by default)."""
        return []

    def train(self, profile: str) -> None:
        """Train (or reuse) what the notebook reads under ``profile``: by default every run of :meth:`plan`."""
        from spectral_lib.repro import runner

        runner.train_plan(self, profile, self.plan(profile), verbose=2)

    def snapshots(self, profile: str) -> dict[int, tuple[int, ...]]:
        """By seed, the epochs after which it reads the state of the runs of the experiments it ``requires``
        (none by default)."""
        return {}

    def missing(self, profile: str) -> str | None:
        """Why the notebook would have to train under ``profile``, with the command that trains it; ``None``
        when every run it reads is recorded."""
        return None

    def verdicts(self, summary) -> list[verdicts.Verdict]:
        """Its claims about the paper, judged from ``summary`` (none by default)."""
        return []

    def judged(self, profile: str) -> list[verdicts.Verdict]:
        """:meth:`verdicts` of the results file of ``profile`` (what a notebook prints last)."""
        from spectral_lib.repro import results

        summary = results.load(self.name, profile)
        if summary is None:
            raise RuntimeError(f"{self.name} has no results file in profile {profile!r}: execute {self.notebook}.")
        return self.verdicts(summary)

    def readme_items(self, summary) -> list[str]:
        """Its rows of README's table of claims: each verdict with its evidence."""
        cell = lambda text: text.replace("|", "\\|")  # noqa: E731  (a "|" in a cell would split it)
        return [
            f"| {self.paper_item} | `{self.notebook}` | {cell(v.claim)} | **{v.verdict}** | {cell(v.evidence)} |"
            for v in self.verdicts(summary)
        ]

    def readme_choices(self) -> list[str]:
        """Its README bullets on the choices the paper leaves open, from its config (none by default)."""
        return []


BUILTIN = (
    "spectral_lib.repro.fig1:Figure1",
    "spectral_lib.repro.fig2:Figure2",
    "spectral_lib.repro.fig4a:Figure4a",
    "spectral_lib.repro.fig5:Figure5",
    "spectral_lib.repro.fig3:Figure3",
    "spectral_lib.repro.search:Search",
    "spectral_lib.repro.table4b:Table",
    "spectral_lib.repro.benchmarks:Pooling",
    "spectral_lib.repro.benchmarks:Harness",
    "spectral_lib.repro.benchmarks:Formulations",
    "spectral_lib.repro.benchmarks:Precision",
    "spectral_lib.repro.benchmarks:Throughput",
)

_ADDED: dict[str, Section] = {}


def _check(section: Section) -> Section:
    if not isinstance(section, Section):
        raise TypeError(f"`section` must be an Experiment or a Benchmark, got {type(section).__name__}.")
    stated = ("name", "notebook", "title", "paper_item") if isinstance(section, Experiment) else ("name", "title")
    missing = [a for a in stated if not getattr(section, a)]
    if missing:
        raise ValueError(f"{type(section).__name__} must state {missing}.")
    if isinstance(section, Experiment) and set(section.profiles) != set(profiles.NAMES):
        raise ValueError(
            f"{type(section).__name__}.profiles must have the profiles {list(profiles.NAMES)}, "
            f"got {sorted(section.profiles)}."
        )
    return section


@cache
def _builtin() -> tuple[Section, ...]:
    def load(entry: str) -> Section:
        module, cls = entry.split(":")
        return _check(getattr(importlib.import_module(module), cls)())

    return tuple(load(entry) for entry in BUILTIN)


def register(section: Section) -> Section:
    """Add ``section`` (an experiment or a benchmark) to the registry; returns it. Under the name of
    another it replaces that one."""
    _ADDED[_check(section).name] = section
    return section


def unregister(name: str) -> None:
    """Remove the section :func:`register` added as ``name`` (a test's toy experiment)."""
    _ADDED.pop(name, None)


def sections() -> list[Section]:
    """Every registered section: the experiments in notebook order, then the benchmarks."""
    found = {s.name: s for s in _builtin()} | _ADDED
    experiments = sorted((s for s in found.values() if isinstance(s, Experiment)), key=lambda e: e.notebook)
    return experiments + [s for s in found.values() if not isinstance(s, Experiment)]


def registered() -> list[Experiment]:
    """Every registered experiment, in notebook order."""
    return [s for s in sections() if isinstance(s, Experiment)]


def get(name: str) -> Experiment:
    """The registered experiment ``name`` (e.g. ``"04_fig5"``)."""
    found = {e.name: e for e in registered()}
    if name not in found:
        raise ValueError(f"`name` must be a registered experiment, one of {sorted(found)}, got name={name!r}.")
    return found[name]
