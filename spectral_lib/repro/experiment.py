"""The contract every experiment implements, and the registry that report, pipeline and tests loop over.

An experiment is one figure or table of the paper: one notebook, one results file
``results/<name>.json`` and the runs it trains. A subclass of :class:`Experiment` states

- ``name`` (``"04_fig5"``: the results file, the profile key, the runs' folder), ``notebook`` (its
  notebook's stem) and ``title`` (its README heading); ``profiles``: its settings under each of
  :data:`profiles.NAMES`, or ``None`` for the built-in ones, whose settings live together in
  :data:`profiles.PROFILES`;
- ``schema`` and ``fields``: the version and the top-level keys and types of its results summary,
  which :func:`results.save` checks on write and :func:`results.load` on read (a renamed key fails
  there, not after a full reference run);
- in its module, ``summary(...)``: the results summary with exactly those fields, built from what its
  notebook computed or from its recorded runs; the notebook saves that and defines no format of its own
  (a test parses every notebook for it);
- ``plan(profile)``: the runs it trains, each an entry ``{"run": settings, "epochs": int, ...}`` that
  :func:`spectral_lib.repro.runner.train_plan` trains or reuses;
- ``missing(profile)``: why its notebook cannot be executed from recorded runs alone (``None`` when it
  can), so ``make figures`` never starts hours of training unasked;
- ``verdicts(summary)``: its claims about the paper, each a :class:`verdicts.Verdict` with the
  evidence it rests on; ``describe(profile)``: what it computes or trains under a profile, in a few
  words from its settings (README's table of profiles); ``readme_section(summary)``: its README
  section (``summary`` ``None`` when the reference profile has not recorded it); ``readme_choices()``:
  its bullets of README's "choices the paper leaves open", written from its settings so that they
  cannot drift from the code.

:func:`register` adds an experiment; :func:`registered` lists them in notebook order, after
importing every module of :mod:`spectral_lib.repro` (a module that defines an experiment registers
it when imported). A new figure is one such module and one notebook.
"""

from __future__ import annotations

import importlib
import pkgutil

from spectral_lib.repro import profiles, verdicts


class Experiment:
    """Base of every experiment (the module docstring gives the contract)."""

    name: str = ""
    notebook: str = ""
    title: str = ""
    paper_item: str = ""  # the paper's figure or table, first column of README's table of claims
    schema: int = 1
    fields: dict[str, type | tuple[type, ...]] = {}
    profiles: dict[str, dict] | None = None

    def notebook_path(self):
        """The notebook's file: ``notebooks/<notebook>.ipynb`` of the checkout."""
        return profiles.project_root() / "notebooks" / f"{self.notebook}.ipynb"

    def settings(self, profile: str) -> dict:
        """The experiment's settings under ``profile``: its own ``profiles``, else :data:`profiles.PROFILES`."""
        if self.profiles is None:
            return profiles.get(self.name, profile)
        if profile not in self.profiles:
            raise ValueError(f"`profile` must be one of {sorted(self.profiles)}, got profile={profile!r}.")
        return dict(self.profiles[profile])

    def describe(self, profile: str) -> str:
        """What it computes or trains under ``profile``, from its settings (by default the settings themselves)."""
        return ", ".join(f"{key} {value}" for key, value in self.settings(profile).items()) or "no settings"

    def plan(self, profile: str) -> list[dict]:
        """The runs this experiment trains under ``profile`` (none by default)."""
        return []

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

    def readme_section(self, summary) -> list[str]:
        """Its README section (empty by default: the table of claims says all)."""
        return []

    def readme_choices(self) -> list[str]:
        """Its README bullets on the choices the paper leaves open, from its settings (none by default)."""
        return []


_REGISTRY: dict[str, Experiment] = {}


def register(experiment: Experiment) -> Experiment:
    """Add ``experiment`` to the registry (again under the same name: replaced); returns it."""
    if not isinstance(experiment, Experiment):
        raise TypeError(f"`experiment` must be an Experiment, got {type(experiment).__name__}.")
    missing = [a for a in ("name", "notebook", "title", "paper_item") if not getattr(experiment, a)]
    if missing:
        raise ValueError(f"experiment {type(experiment).__name__} must state {missing}.")
    _REGISTRY[experiment.name] = experiment
    return experiment


def unregister(name: str) -> None:
    """Remove the experiment ``name`` (a test's toy experiment)."""
    _REGISTRY.pop(name, None)


def registered() -> list[Experiment]:
    """Every registered experiment, in notebook order (every module of the package imported first)."""
    package = importlib.import_module("spectral_lib.repro")
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    return sorted(_REGISTRY.values(), key=lambda e: e.notebook)


def get(name: str) -> Experiment:
    """The registered experiment ``name`` (e.g. ``"04_fig5"``)."""
    found = {e.name: e for e in registered()}
    if name not in found:
        raise ValueError(f"`name` must be a registered experiment, one of {sorted(found)}, got name={name!r}.")
    return found[name]
