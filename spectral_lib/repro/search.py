"""The Bayesian hyperparameter search of the spectral-pooling network (paper section 5), with Optuna.

The paper's space: gamma in [0.25, 0.85], M in 1..15, alpha and beta in [0, 0.8],
weight decay in [1e-5, 1e-2] (log), momentum with ``1 - momentum`` in
[0.1^2, 0.1^0.5] (log) and the learning rate in [1e-4, 0.1] (log). A profile
searches the parameters it lists in ``searched`` (M at most ``max_layers``) and
fixes the others at the paper's optimum (:data:`paper.OPTIMUM`). Each trial is a
:mod:`runs` run: SGD with momentum, the learning rate divided by 10 at 2/3 and
14/15 of ``epochs`` (:func:`paper_drops`), no augmentation, every trial from the
same seed. It scores the validation error after its last epoch, on images held
out from the end of the training set; the test set is never loaded.

- Pruning: each epoch's validation error is reported to the trial while it
  trains, and Optuna's ``HyperbandPruner`` (successive halving over several
  brackets, from ``min_epochs`` up to ``epochs``, reduction factor 3) stops a
  trial that ranks low at a rung, so the budget goes to the settings that keep
  up; a pruned trial's score is its error where it stopped.
- Sampler: ``TPESampler`` (seeded, multivariate, after ``startup_trials``
  random ones), which learns from pruned trials too (it ranks them by their
  last reported error); Optuna's ``GPSampler`` uses complete trials only, so
  with pruning it proposes the same point again. ``constant_liar`` keeps
  workers sharing a study from proposing the same point together.
- Storage: any Optuna RDB URL; by default SQLite in
  ``<runs root>/<profile>/06_search/study.db``. Workers on several processes or
  machines that open one storage share the study.
- Kills: every trial beats a heartbeat; a trial whose worker died is failed
  after ``grace_seconds`` and tried again with its parameters and reported
  errors (``RetryHeartbeatStaleTrialCallback``), its run resuming from its
  checkpoint. The results file is rewritten after every trial, and a fresh
  storage is seeded with the finished trials it holds, so a search can be
  finished over several sessions, on another machine.

``python -m spectral_lib.repro.search --profile cpu [--storage URL]`` runs a
worker (start several for a parallel search).
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from typing import TYPE_CHECKING, TypedDict

import keras
import numpy as np

from spectral_lib.repro import experiment, paper, profiles, results, run_settings, runs, verdicts
from spectral_lib.repro.quiet import quiet

if TYPE_CHECKING:  # Optuna and SQLAlchemy (the `search` extra) are imported by what runs the search alone
    import optuna

EXPERIMENT = "06_search"
_SEARCHABLE = ("gamma", "num_layers", "alpha", "beta", "weight_decay", "one_minus_momentum", "learning_rate")
STORAGE_ATTEMPTS = 5  # opening a new shared database, see open_study
FINISHED = ("COMPLETE", "PRUNED")  # the trial states a study counts as done (optuna.trial.TrialState)
PARAMETERS = ("gamma", "num_layers", "alpha", "beta", "weight_decay", "one_minus_momentum", "learning_rate")


def paper_drops(epochs: int) -> tuple[int, ...]:
    """Epochs after which the learning rate is divided by 10: the paper's 100 and 140 of 150, i.e.
    ``round(2E/3)`` and ``round(14E/15)``, keeping those before the last epoch, each once.

    >>> paper_drops(150), paper_drops(6), paper_drops(2)
    ((100, 140), (4,), (1,))
    """
    return tuple(sorted({d for d in (round(2 * epochs / 3), round(14 * epochs / 15)) if 0 < d < epochs}))


def finished_states() -> tuple:
    """:data:`FINISHED` as Optuna's trial states."""
    import optuna

    return tuple(optuna.trial.TrialState[state] for state in FINISHED)


def distributions(config: dict) -> dict[str, optuna.distributions.BaseDistribution]:
    """The searched space of ``config`` (a ``06_search`` profile), one Optuna distribution per parameter
    of ``config["searched"]``, in :data:`PARAMETERS` order; M in ``1..config["max_layers"]``."""
    from optuna.distributions import FloatDistribution, IntDistribution

    unknown = sorted(set(config["searched"]) - set(PARAMETERS))
    if unknown:
        raise ValueError(f"`searched` must name parameters among {PARAMETERS}, got {unknown}.")
    low, high = paper.SEARCH_SPACE["momentum"]
    space = {
        "gamma": FloatDistribution(*paper.SEARCH_SPACE["gamma"]),
        "num_layers": IntDistribution(1, config["max_layers"]),
        "alpha": FloatDistribution(*paper.SEARCH_SPACE["alpha"]),
        "beta": FloatDistribution(*paper.SEARCH_SPACE["beta"]),
        "weight_decay": FloatDistribution(*paper.SEARCH_SPACE["weight_decay"], log=True),
        "one_minus_momentum": FloatDistribution(1 - high, 1 - low, log=True),
        "learning_rate": FloatDistribution(*paper.SEARCH_SPACE["learning_rate"], log=True),
    }
    return {k: v for k, v in space.items() if k in config["searched"]}


def fixed(config: dict) -> dict:
    """The hyperparameters ``config`` does not search, at the paper's optimum (``momentum`` for an
    unsearched ``one_minus_momentum``). M and the weight decay, which the paper does not state, must be searched."""
    unstated = sorted({"num_layers", "weight_decay"} - set(config["searched"]))
    if unstated:
        raise ValueError(f"`searched` must include {unstated}: the paper states no value for them.")
    name = {"one_minus_momentum": "momentum"}
    return {
        name.get(k, k): paper.OPTIMUM[name.get(k, k)]
        for k in PARAMETERS
        if k not in config["searched"] and name.get(k, k) in paper.OPTIMUM
    }


def hyperparameters(params: dict, config: dict) -> dict:
    """The network's hyperparameters of a trial with searched ``params``: gamma, num_layers, alpha, beta,
    weight_decay, momentum, learning_rate."""
    p = {**fixed(config), **params}
    if "one_minus_momentum" in p:
        p["momentum"] = 1 - p.pop("one_minus_momentum")
    return p


def trial_run(params: dict, config: dict) -> dict:
    """The run settings of a trial with searched parameters ``params`` (the rest :func:`fixed`)."""
    p = hyperparameters(params, config)
    return run_settings.settings(
        dataset=config["dataset"],
        architecture="spectral_pooling",
        num_layers=p["num_layers"],
        gamma=p["gamma"],
        alpha=p["alpha"],
        beta=p["beta"],
        optimizer="sgd",
        learning_rate=p["learning_rate"],
        momentum=p["momentum"],
        weight_decay=p["weight_decay"],
        learning_rate_drops=paper_drops(config["epochs"]),
        batch_size=config["batch_size"],
        augmentation=False,
        train_images=config["train_images"],
        validation_images=config["validation_images"],
        test_images=0,
        seed=config["seed"],
        precision=config["precision"],
    )


class ReportEpochs(keras.callbacks.Callback):
    """Reports each finished epoch's validation error to ``trial`` while it trains, with its training
    seconds so far, and stops the run (``optuna.TrialPruned``) where the pruner says so."""

    def __init__(self, trial: optuna.Trial):
        super().__init__()
        self.trial = trial

    def on_epoch_end(self, epoch, logs=None):
        self.trial.report(1 - logs["val_accuracy"], epoch + 1)
        self.trial.set_user_attr("train_seconds", logs["wall_seconds"])
        if self.trial.should_prune():
            import optuna

            raise optuna.TrialPruned(f"pruned after epoch {epoch + 1}")


class TimeLimitReached(Exception):
    """A trial's run stopped by the search's time limit at the end of an epoch (:func:`objective`)."""


def objective(config: dict, profile: str, data_dir=None, deadline=None):
    """The objective of a study: train the trial's run, reporting every epoch; return its last validation error.

    ``deadline`` (a :func:`time.monotonic` value) stops the run at the end of the last epoch that fits
    (:func:`runs.train`): the trial fails with :class:`TimeLimitReached` and its parameters are queued first
    in the study, so that the next call trains them on from the run's checkpoint."""
    space = distributions(config)

    def evaluate(trial: optuna.Trial) -> float:
        import optuna

        params = {}
        for key, dist in space.items():
            if isinstance(dist, optuna.distributions.IntDistribution):
                params[key] = trial.suggest_int(key, dist.low, dist.high)
            else:
                params[key] = trial.suggest_float(key, dist.low, dist.high, log=dist.log)
        run = trial_run(params, config)
        trial.set_user_attr("run", run_settings.name(run))
        record = runs.train(
            run,
            config["epochs"],
            EXPERIMENT,
            profile,
            data_dir=data_dir,
            callbacks=[ReportEpochs(trial)],
            deadline=deadline,
        )
        if record is None:
            trial.study.enqueue_trial(params)
            raise TimeLimitReached(f"trial {trial.number} ({run_settings.name(run)}) stopped by the time limit")
        trial.set_user_attr("train_seconds", record["history"]["wall_seconds"][-1])
        trial.set_user_attr("machine", record["machine"])
        return record["history"]["validation_error"][-1]

    return evaluate


def storage_url(profile: str) -> str:
    """SQLite in the profile's run directory: ``<runs root>/<profile>/06_search/study.db``."""
    folder = profiles.runs_root() / profile / EXPERIMENT
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'study.db'}"


def results_path(profile: str):
    return results.path(EXPERIMENT, profile)


def sampler(config: dict, worker: int, trials: int) -> optuna.samplers.TPESampler:
    """The TPE sampler of a worker, seeded from ``(config["seed"], worker, trials)``, ``trials`` the number
    of trials the study already holds: workers sharing a study need distinct ``worker`` numbers, and a
    worker opening a study again (restarted, or on a fresh storage seeded from the results file) draws
    on from where it is instead of repeating the random start-up trials it drew before."""
    import optuna

    seed = int(np.random.SeedSequence([config["seed"], worker, trials]).generate_state(1)[0])
    return optuna.samplers.TPESampler(
        seed=seed, n_startup_trials=config["startup_trials"], multivariate=True, constant_liar=True
    )


def reseed(study: optuna.Study, config: dict, worker: int) -> None:
    """Give ``study`` the :func:`sampler` of ``worker`` for the trials it holds now."""
    import optuna

    with warnings.catch_warnings():  # multivariate and constant_liar are marked experimental
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.sampler = sampler(config, worker, len(study.get_trials(deepcopy=False)))


def open_study(config: dict, storage: str, *, worker=0, heartbeat_seconds=60, grace_seconds=180) -> optuna.Study:
    """The study of ``config`` in ``storage``, created if new (name ``spectral-pooling-<dataset>``), with the
    :func:`sampler` of ``worker`` for the trials it holds."""
    import optuna
    import sqlalchemy

    with warnings.catch_warnings():  # heartbeats and their retry callback are marked experimental
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        for attempt in range(STORAGE_ATTEMPTS):
            try:
                rdb = optuna.storages.RDBStorage(
                    storage,
                    heartbeat_interval=heartbeat_seconds,
                    grace_period=grace_seconds,
                    heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(
                        max_retry=2, inherit_intermediate_values=True
                    ),
                )
                break
            except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.OperationalError):
                # Workers started together on a new database race to create its tables and stamp its
                # schema version; the loser finds them made when it opens the database again.
                if attempt == STORAGE_ATTEMPTS - 1:
                    raise
                time.sleep(1)
    pruner = optuna.pruners.HyperbandPruner(
        min_resource=config["min_epochs"], max_resource=config["epochs"], reduction_factor=3
    )
    study = optuna.create_study(
        storage=rdb,
        pruner=pruner,
        direction="minimize",
        study_name=f"spectral-pooling-{config['dataset']}",
        load_if_exists=True,
    )
    reseed(study, config, worker)
    return study


class Trial(TypedDict):
    """One trial of the study in the results file (:func:`trials`)."""

    number: int
    state: str
    params: dict[str, float]
    hyperparameters: dict[str, float] | None
    value: float | None
    intermediate: dict[str, float]
    run: str | None
    machine: str | None
    seconds: float | None
    train_seconds: float | None


def trials(study: optuna.Study, config: dict) -> list[Trial]:
    """Every trial of ``study``: number, state, searched parameters, all the network's
    ``hyperparameters`` (:func:`hyperparameters`), its score (``value``: the
    last epoch's validation error of a complete trial, the last reported one of a pruned trial), the
    per-epoch validation errors, its run's name, the machine that trained it, its seconds in the study
    (near 0 for a trial whose run was already recorded) and its run's training seconds."""
    out = []
    for t in sorted(study.get_trials(deepcopy=False), key=lambda t: t.number):
        seconds = t.user_attrs.get("restored_seconds")
        if seconds is None and t.datetime_complete:
            seconds = (t.datetime_complete - t.datetime_start).total_seconds()
        intermediate = {str(k): v for k, v in sorted(t.intermediate_values.items())}
        value = t.value if t.state.name == "COMPLETE" else (list(intermediate.values())[-1] if intermediate else None)
        out.append(
            {
                "number": t.number,
                "state": t.state.name,
                "params": dict(t.params),
                "hyperparameters": hyperparameters(t.params, config) if t.params else None,
                "value": value,
                "intermediate": intermediate,
                "run": t.user_attrs.get("run"),
                "machine": t.user_attrs.get("machine"),
                "seconds": seconds,
                "train_seconds": t.user_attrs.get("train_seconds"),
            }
        )
    return out


def restore(study: optuna.Study, recorded: list[dict], config: dict) -> int:
    """Add the finished (complete and pruned) trials of a results file to a study that has none (a fresh
    storage); returns how many."""
    import optuna

    if study.get_trials(deepcopy=False, states=finished_states()):
        return 0
    space = distributions(config)
    added = 0
    for t in recorded:
        if t["state"] not in ("COMPLETE", "PRUNED"):
            continue
        study.add_trial(
            optuna.trial.create_trial(
                state=optuna.trial.TrialState[t["state"]],
                value=t["value"] if t["state"] == "COMPLETE" else None,
                params=t["params"],
                distributions={k: space[k] for k in t["params"]},
                intermediate_values={int(k): v for k, v in t["intermediate"].items()},
                user_attrs={
                    "run": t["run"],
                    "machine": t["machine"],
                    "restored_seconds": t["seconds"],
                    "train_seconds": t["train_seconds"],
                },
            )
        )
        added += 1
    return added


def at_bounds(best: dict, config: dict) -> dict[str, str]:
    """The searched parameters of ``best`` that sit at an end of their range: ``{name: "lowest" | "highest"}``
    (within 2 % of the range, on a log scale for log ranges; M exactly at its end)."""
    import optuna

    out = {}
    for key, dist in distributions(config).items():
        value, low, high = best["params"][key], dist.low, dist.high
        if dist.log:
            value, low, high = math.log(value), math.log(low), math.log(high)
        tolerance = 0 if isinstance(dist, optuna.distributions.IntDistribution) else 0.02 * (high - low)
        if value <= low + tolerance:
            out[key] = "lowest"
        elif value >= high - tolerance:
            out[key] = "highest"
    return out


def summary(study: optuna.Study, config: dict) -> dict:
    """The results file: the search's config, every trial, the best complete trial, and which of its
    parameters sit at an end of their range."""
    import optuna

    recorded = trials(study, config)
    complete = [t for t in recorded if t["state"] == "COMPLETE"]
    best = min(complete, key=lambda t: t["value"]) if complete else None
    return {
        "config": config,
        "paper_optimum": paper.OPTIMUM,
        "fixed": fixed(config),
        "sampler": "optuna.samplers.TPESampler",
        "pruner": "optuna.pruners.HyperbandPruner",
        "optuna_version": optuna.__version__,
        "trials": recorded,
        "best": best,
        "best_at_bounds": at_bounds(best, config) if best else {},
    }


def top_two(trials: list[Trial], n: int) -> str | None:
    """The gap between the two best complete trials' validation errors (on ``n`` images) against its noise,
    :func:`verdicts.difference_se` times :data:`verdicts.Z`; ``None`` with fewer than two complete trials."""
    complete = sorted((t for t in trials if t["state"] == "COMPLETE"), key=lambda t: t["value"])
    if len(complete) < 2:
        return None
    (a, b), se = complete[:2], verdicts.difference_se(complete[0]["value"], complete[1]["value"], n)
    gap = b["value"] - a["value"]
    return (
        f"the two best complete trials ({a['number']} and {b['number']}) differ by {100 * gap:.2f} points, "
        f"{'within' if gap <= verdicts.Z * se else 'beyond'} {verdicts.Z:g} binomial standard errors of the "
        f"difference ({100 * verdicts.Z * se:.2f} points on {n} validation images)"
    )


def finished(recorded: dict) -> int:
    """How many trials of a results file have finished (complete or pruned)."""
    return sum(t["state"] in ("COMPLETE", "PRUNED") for t in recorded["trials"])


def best(profile: str) -> dict | None:
    """The network's hyperparameters of the best complete trial of the finished search of ``profile``,
    with its ``search_trial`` number; ``None`` while the search is unfinished."""
    config = Search.config(profile)
    recorded = results.load(EXPERIMENT, profile)
    if recorded is None or _defining(recorded["config"]) != _defining(config) or finished(recorded) < config["trials"]:
        return None
    trial = min((t for t in recorded["trials"] if t["state"] == "COMPLETE"), key=lambda t: t["value"])
    return {**trial["hyperparameters"], "search_trial": trial["number"]}


def _defining(config: dict, *also: str) -> dict:
    """A search's config but what does not change its trials (``notebook_trains``) and ``also``: with
    ``"trials"``, a longer search continues a shorter one."""
    return {k: v for k, v in config.items() if k not in ("notebook_trains", *also)}


def read(profile: str) -> dict:
    """The results file of the search of ``profile`` as far as it got, without training."""
    recorded = results.load(EXPERIMENT, profile)
    if recorded is None:
        raise FileNotFoundError(f"{results_path(profile)} does not exist: {Search().missing(profile)}")
    return recorded


def search(
    profile: str,
    *,
    storage: str | None = None,
    worker=0,
    data_dir=None,
    heartbeat_seconds=60,
    grace_seconds=180,
    deadline=None,
) -> dict:
    """Run (or join, or resume) the search of ``profile`` until ``trials`` trials have finished (complete
    or pruned), or until ``deadline`` (a :func:`time.monotonic` value: the trial in progress stops at the end
    of the last epoch that fits and is taken up first by the next call, :func:`objective`); returns the
    results file's content, also written to ``results/06_search.json`` after every trial.

    A finished search in the results file is returned without opening a storage.
    """
    import optuna

    config = Search.config(profile)
    path = results_path(profile)
    recorded = results.load(EXPERIMENT, profile)
    if recorded is not None and _defining(recorded["config"], "trials") != _defining(config, "trials"):
        raise ValueError(
            f"{path} holds a search with another config ({recorded['config']}) than profile "
            f"{profile!r} ({config}): delete it to search again."
        )
    if recorded is not None and finished(recorded) >= config["trials"]:
        return recorded
    study = open_study(
        config,
        storage or storage_url(profile),
        worker=worker,
        heartbeat_seconds=heartbeat_seconds,
        grace_seconds=grace_seconds,
    )
    if recorded is not None and restore(study, recorded["trials"], config):
        reseed(study, config, worker)

    def save(study, trial):
        results.save(EXPERIMENT, profile, summary(study, config))
        if deadline is not None and (time.monotonic() >= deadline or trial.state.name == "FAIL"):
            study.stop()  # a trial fails here only when the time limit stopped it (catch below)

    stop = optuna.study.MaxTrialsCallback(config["trials"], states=finished_states())
    if len(study.get_trials(deepcopy=False, states=finished_states())) < config["trials"]:
        study.optimize(
            objective(config, profile, data_dir, deadline), callbacks=[save, stop], catch=(TimeLimitReached,)
        )
    results.save(EXPERIMENT, profile, summary(study, config))
    return results.load(EXPERIMENT, profile)


def _describe(config: dict) -> str:
    searched = ", ".join(config["searched"]).replace("num_layers", f"M (1..{config['max_layers']})")
    return (
        f"searched: {searched}; fixed at the paper's optimum: "
        f"{', '.join(f'{k} {v:g}' for k, v in fixed(config).items()) or 'none'}; up to {config['trials']} "
        f"finished trials, each on the first {config['train_images']} CIFAR-10 training images for up to "
        f"{config['epochs']} epochs (batch {config['batch_size']}, {config['precision']}), scored on the last "
        f"{config['validation_images']}; TPE after {config['startup_trials']} random trials, Hyperband pruning "
        f"from epoch {config['min_epochs']}"
    )


class Search(experiment.Experiment):
    name = EXPERIMENT
    notebook = "06_search_bayesian_hyperparameters"
    title = "Figure 4(b): the hyperparameter search"
    paper_item = "Figure 4(b) search"
    fields = {
        "config": dict,
        "paper_optimum": dict[str, float],
        "fixed": dict[str, float],
        "sampler": str,
        "pruner": str,
        "optuna_version": str,
        "trials": list[Trial],
        "best": Trial | None,
        "best_at_bounds": dict[str, str],
    }
    # Figure 4(b)'s hyperparameter search : `trials` finished trials (complete or pruned), the
    # first `startup_trials` random; each trains the spectral-pooling net on the first `train_images` of
    # the training set for up to `epochs` (pruned from `min_epochs` on) in `precision`, scored on the
    # last `validation_images` of it. `searched`: the parameters searched, M in 1..`max_layers`; the
    # others are fixed at the paper's optimum. `notebook_trains`: notebook 06 runs the search itself
    # (seconds); otherwise it shows the results file as far as `python -m spectral_lib.repro.search` (or
    # `make figures TRAIN=1 ONLY=06`) got.
    profiles = {
        "smoke": {
            "dataset": "cifar10",
            "searched": ["num_layers", "weight_decay", "learning_rate"],
            "trials": 3,
            "startup_trials": 2,
            "max_layers": 2,
            "train_images": 64,
            "validation_images": 32,
            "epochs": 3,
            "min_epochs": 1,
            "batch_size": 32,
            "seed": 0,
            "precision": "float32",
            "notebook_trains": True,
        },
        # What the paper does not state (M, weight decay) and the learning rate (its 0.0088 was tuned for
        # its own implementation), at its stated gamma, alpha, beta and momentum; trials of up to 10
        # epochs on 10 000 images. Sized for the 2 h budget on a 2-core CPU with AMX-BF16, where the
        # M = 6 net trains at about 400 images/s in bfloat16 (a full trial about 5 min, most pruned after
        # 1 or 3 epochs).
        "cpu": {
            "dataset": "cifar10",
            "searched": ["num_layers", "weight_decay", "learning_rate"],
            "trials": 40,
            "startup_trials": 10,
            "max_layers": 12,
            "train_images": 10000,
            "validation_images": 5000,
            "epochs": 10,
            "min_epochs": 1,
            "batch_size": 128,
            "seed": 0,
            "precision": "mixed_bfloat16",
            "notebook_trains": False,
        },
        # The paper's whole space; it does not state its number of trials or the epochs of a trial.
        "paper": {
            "dataset": "cifar10",
            "searched": list(_SEARCHABLE),
            "trials": 50,
            "startup_trials": 10,
            "max_layers": 15,
            "train_images": 45000,
            "validation_images": 5000,
            "epochs": paper.EPOCHS,
            "min_epochs": 10,
            "batch_size": 128,
            "seed": 0,
            "precision": "mixed_bfloat16",
            "notebook_trains": False,
        },
    }

    def describe(self, profile: str) -> str:
        return _describe(self.config(profile))

    def missing(self, profile: str) -> str | None:
        """``None`` once a results file exists (the notebook shows it as far as it got) or the notebook
        runs the search itself."""
        if self.config(profile)["notebook_trains"] or results.load(EXPERIMENT, profile) is not None:
            return None
        return (
            f"the search has not started in profile {profile!r}: `python -m spectral_lib.repro.search "
            f"--profile {profile}` runs it (resumably)"
        )

    def train(self, profile: str) -> None:
        search(profile)

    def readme_items(self, summary) -> list[str]:
        """The search checks no claim: one row with its choice."""
        best = summary["best"]
        if best is None:
            return [
                f"| {self.paper_item} | `{self.notebook}` | proposes a setting for the table (not a claim) | - "
                "| no complete trial |"
            ]
        h, done, wanted = best["hyperparameters"], finished(summary), summary["config"]["trials"]
        of = "" if done >= wanted else f" (of {wanted}, unfinished)"
        return [
            f"| {self.paper_item} | `{self.notebook}` | proposes a setting for the table (not a claim) | - | "
            f"best of {done} trials{of}: validation error {100 * best['value']:.1f} % with M {h['num_layers']}, "
            f"weight decay {h['weight_decay']:.2g}, learning rate {h['learning_rate']:.2g} (paper: M and weight "
            f"decay not stated, learning rate {paper.OPTIMUM['learning_rate']}) |"
        ]

    def readme_section(self, found) -> list[str]:
        """README's section of the search (``found`` ``None``: not run in the reference profile)."""
        config = self.config(profiles.REFERENCE)
        if found is None:
            return [
                f"Not yet recorded in the reference profile `{profiles.REFERENCE}` ({_describe(config)}). "
                f"`python -m spectral_lib.repro.search --profile {profiles.REFERENCE}` runs it, resumably."
            ]
        trials, best = found["trials"], found["best"]
        runs_trained = {t["run"]: t["train_seconds"] or 0 for t in trials if t["run"]}  # a repeated run trains once
        minutes = sum(runs_trained.values()) / 60
        machines = "; ".join(sorted({t["machine"] for t in trials if t["machine"]}))
        done, wanted = finished(found), found["config"]["trials"]
        settled = {t["run"] for t in trials if t["state"] in ("COMPLETE", "PRUNED")}
        repeats = "" if len(settled) == done else f", {len(settled)} distinct setting{'s' if len(settled) > 1 else ''}"
        progress = (
            ""
            if done >= wanted
            else (
                f" The search is not finished: {done} of its {wanted} trials; it continues after Figure 4(b)'s queue "
                f"(`python -m spectral_lib.repro.search --profile {found['profile']}`), and its best trial gets its "
                "own 150-epoch run in the table only if it differs from the paper's optimum the queue trains."
            )
        )
        lines = [
            f"Profile `{found['profile']}`, trained on {machines}: {done} finished trials "
            f"({sum(t['state'] == 'PRUNED' for t in trials)} pruned{repeats}), {minutes:.0f} min of training "
            f"(`results/06_search.json`); {_describe(found['config'])}.{progress}",
            "",
        ]
        if best:
            lines += ["| hyperparameter | best trial | paper |", "|---|---|---|"]
            for key, value in best["hyperparameters"].items():
                stated = paper.OPTIMUM.get(key)
                stated = "not stated" if stated is None else f"{stated:g}"
                lines.append(f"| {key} | {value:.4g} | {stated} |")
            bounds = ", ".join(f"{k} at the {v} end of its range" for k, v in found["best_at_bounds"].items())
            lines += [
                "",
                f"Best validation error {100 * best['value']:.1f} % (trial {best['number']}); "
                f"{bounds or 'no searched hyperparameter at an end of its range'}.",
            ]
        config = found["config"]
        values = [t["value"] for t in trials if t["state"] == "COMPLETE"]
        if values:
            startup = max(t["number"] for t in trials) < config["startup_trials"]
            lines += [
                "",
                (
                    "All finished trials are random start-up draws: TPE proposes from trial "
                    f"{config['startup_trials']} on. "
                    if startup
                    else ""
                )
                + f"Every trial underfits at its length: at most {config['epochs']} epochs on "
                f"{config['train_images']} images, and a validation error of {100 * min(values):.1f} to "
                f"{100 * max(values):.1f} % at its end, against the paper's "
                f"{paper.SPECTRAL_POOLING_ERROR[config['dataset']]} % test error after {paper.EPOCHS} epochs "
                "on the full training set; the search ranks how fast networks start.",
            ]
        return lines


def main(argv=None) -> None:
    quiet()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", choices=profiles.NAMES, default=profiles.REFERENCE)
    parser.add_argument("--storage", help="an Optuna RDB URL shared by the workers (default: SQLite under runs/)")
    parser.add_argument(
        "--worker", type=int, default=0, help="this worker's number, distinct per worker (seeds its sampler)"
    )
    parser.add_argument("--heartbeat", type=int, default=60, help="seconds between a running trial's heartbeats")
    parser.add_argument(
        "--grace", type=int, default=180, help="seconds without a heartbeat before a trial counts as killed"
    )
    parser.add_argument("--data-dir", default=None, help="CIFAR folder (default: $SPECTRAL_CNN_DATA, else data/)")
    parser.add_argument(
        "--time-limit", type=float, metavar="MINUTES", help="stop at the end of the last epoch that fits in this time"
    )
    args = parser.parse_args(argv)
    if args.time_limit is not None and not args.time_limit > 0:
        parser.error(f"--time-limit must be a positive number of minutes, got {args.time_limit}")
    start = time.perf_counter()
    result = search(
        args.profile,
        storage=args.storage,
        worker=args.worker,
        data_dir=args.data_dir,
        heartbeat_seconds=args.heartbeat,
        grace_seconds=args.grace,
        deadline=time.monotonic() + 60 * args.time_limit if args.time_limit is not None else None,
    )
    best = result["best"]
    print(
        f"{len(result['trials'])} trials in {(time.perf_counter() - start) / 60:.1f} min; best validation "
        f"error {best['value']:.4f} with {best['params']}"
        if best
        else "no complete trial"
    )


if __name__ == "__main__":
    main()
