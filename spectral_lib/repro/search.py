"""The Bayesian hyperparameter search of the spectral-pooling network (PAPER.md section 6), with Optuna.

The space is the paper's: gamma in [0.25, 0.85], M in 1..15, alpha and beta in
[0, 0.8], weight decay in [1e-5, 1e-2] (log), momentum with ``1 - momentum`` in
[0.1^2, 0.1^0.5] (log) and the learning rate in [1e-4, 0.1] (log); a profile
may narrow M (``max_layers``). Each trial is a :mod:`runs` run: SGD with
momentum, the learning rate divided by 10 at 2/3 and 14/15 of its epochs
(:func:`paper_drops`), no augmentation, every trial from the same seed. It
scores the validation error after its last epoch, on images held out from the
end of the training set; the test set is never loaded.

- Sampler: ``GPSampler`` (a Gaussian process with log expected improvement,
  the nearest to the paper's Spearmint), seeded, after ``startup_trials``
  random ones. No pruner: the GP learns from complete trials only, so a
  pruned trial teaches it nothing and it proposes the same point again (with
  ``MedianPruner`` it did, 11 times in a row).
- Storage: any Optuna RDB URL; by default SQLite in
  ``runs/<profile>/06_search/study.db``. Workers on several processes or
  machines that open one storage share the study: that is Optuna's own way to
  scale out (PostgreSQL for a cluster).
- Kills: every trial beats a heartbeat; a trial whose worker died is failed
  after ``grace_seconds`` and its parameters are tried again
  (``RetryHeartbeatStaleTrialCallback``), its run resuming from its checkpoint. The
  results file is rewritten after every trial, and a fresh storage is seeded
  with the trials it holds, so a search can be finished over several sessions.

``python -m spectral_lib.repro.search --profile cpu [--storage URL]`` runs a
worker (start several for a parallel search).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import optuna
import sqlalchemy

from spectral_lib.repro import profiles, results, runs

EXPERIMENT = "06_search"
STORAGE_ATTEMPTS = 5  # opening a new shared database, see open_study
# The optimum the paper reports (PAPER.md section 6); M and weight decay are not stated.
PAPER = {"gamma": 0.85, "alpha": 0.30, "beta": 0.15, "momentum": 0.95, "learning_rate": 0.0088}
FINISHED = (optuna.trial.TrialState.COMPLETE,)


def paper_drops(epochs: int) -> tuple[int, ...]:
    """Epochs after which the learning rate is divided by 10: the paper's 100 and 140 of 150, i.e.
    ``round(2E/3)`` and ``round(14E/15)``, keeping those before the last epoch, each once.

    >>> paper_drops(150), paper_drops(6), paper_drops(2)
    ((100, 140), (4,), (1,))
    """
    return tuple(sorted({d for d in (round(2 * epochs / 3), round(14 * epochs / 15)) if 0 < d < epochs}))


def distributions(config: dict) -> dict[str, optuna.distributions.BaseDistribution]:
    """The search space of ``config`` (a ``06_search`` profile), one Optuna distribution per parameter."""
    from optuna.distributions import FloatDistribution, IntDistribution

    return {
        "gamma": FloatDistribution(0.25, 0.85),
        "num_layers": IntDistribution(1, config["max_layers"]),
        "alpha": FloatDistribution(0.0, 0.8),
        "beta": FloatDistribution(0.0, 0.8),
        "weight_decay": FloatDistribution(1e-5, 1e-2, log=True),
        "one_minus_momentum": FloatDistribution(0.1**2, 0.1**0.5, log=True),
        "learning_rate": FloatDistribution(1e-4, 0.1, log=True),
    }


def trial_run(params: dict, config: dict) -> dict:
    """The run settings of a trial with parameters ``params``."""
    return runs.settings(
        dataset=config["dataset"], architecture="spectral_pooling", num_layers=params["num_layers"],
        gamma=params["gamma"], alpha=params["alpha"], beta=params["beta"], optimizer="sgd",
        learning_rate=params["learning_rate"], momentum=1 - params["one_minus_momentum"],
        weight_decay=params["weight_decay"], learning_rate_drops=paper_drops(config["epochs"]),
        batch_size=config["batch_size"], augmentation=False, train_images=config["train_images"],
        validation_images=config["validation_images"], test_images=0, seed=config["seed"],
    )


def objective(config: dict, profile: str, data_dir=None):
    """The objective of a study: train the trial's run, return its last validation error."""
    space = distributions(config)

    def evaluate(trial: optuna.Trial) -> float:
        params = {}
        for key, dist in space.items():
            if isinstance(dist, optuna.distributions.IntDistribution):
                params[key] = trial.suggest_int(key, dist.low, dist.high)
            else:
                params[key] = trial.suggest_float(key, dist.low, dist.high, log=dist.log)
        run = trial_run(params, config)
        trial.set_user_attr("run", runs.name(run))
        record = runs.train(run, config["epochs"], EXPERIMENT, profile, data_dir=data_dir)
        trial.set_user_attr("train_seconds", record["history"]["wall_seconds"][-1])
        for epoch, error in enumerate(record["history"]["validation_error"], start=1):
            trial.report(error, epoch)
        return record["history"]["validation_error"][-1]

    return evaluate


def storage_url(profile: str) -> str:
    """SQLite in the profile's run directory: ``runs/<profile>/06_search/study.db``."""
    folder = profiles.project_root() / "runs" / profile / EXPERIMENT
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'study.db'}"


def results_path(profile: str):
    return profiles.output_root(profile) / "results" / f"{EXPERIMENT}.json"


def open_study(config: dict, storage: str, *, worker=0, heartbeat_seconds=60, grace_seconds=180) -> optuna.Study:
    """The study of ``config`` in ``storage``, created if new (name ``spectral-pooling-<dataset>``).

    The sampler is seeded from ``(config["seed"], worker)``: workers sharing a
    study need distinct ``worker`` numbers, else their random start-up trials
    would repeat each other's parameters.
    """
    with warnings.catch_warnings():  # heartbeats and their retry callback are marked experimental
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        for attempt in range(STORAGE_ATTEMPTS):
            try:
                rdb = optuna.storages.RDBStorage(
                    storage, heartbeat_interval=heartbeat_seconds, grace_period=grace_seconds,
                    heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=2),
                )
                break
            except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.OperationalError):
                # Workers started together on a new database race to create its tables and stamp its
                # schema version; the loser finds them made when it opens the database again.
                if attempt == STORAGE_ATTEMPTS - 1:
                    raise
                time.sleep(1)
    seed = int(np.random.SeedSequence([config["seed"], worker]).generate_state(1)[0])
    sampler = optuna.samplers.GPSampler(seed=seed, n_startup_trials=config["startup_trials"])
    return optuna.create_study(storage=rdb, sampler=sampler, direction="minimize",
                               study_name=f"spectral-pooling-{config['dataset']}", load_if_exists=True)


def trials(study: optuna.Study) -> list[dict]:
    """Every trial of ``study``: number, state, parameters (with ``momentum``), validation error
    (``value``), per-epoch validation errors, its run's name, its seconds in the study (near 0 for a
    trial whose run was already recorded) and its run's training seconds (``train_seconds``)."""
    out = []
    for t in sorted(study.get_trials(deepcopy=False), key=lambda t: t.number):
        seconds = t.user_attrs.get("restored_seconds")
        if seconds is None and t.datetime_complete:
            seconds = (t.datetime_complete - t.datetime_start).total_seconds()
        out.append({
            "number": t.number, "state": t.state.name, "params": dict(t.params),
            "momentum": 1 - t.params["one_minus_momentum"] if "one_minus_momentum" in t.params else None,
            "value": t.value, "intermediate": {str(k): v for k, v in sorted(t.intermediate_values.items())},
            "run": t.user_attrs.get("run"), "seconds": seconds, "train_seconds": t.user_attrs.get("train_seconds"),
        })
    return out


def restore(study: optuna.Study, recorded: list[dict], config: dict) -> int:
    """Add the finished trials of a results file to a study that has none (a fresh storage); returns how many."""
    if study.get_trials(deepcopy=False, states=FINISHED):
        return 0
    space = distributions(config)
    added = 0
    for t in recorded:
        if t["state"] != "COMPLETE":
            continue
        study.add_trial(optuna.trial.create_trial(
            value=t["value"],
            params=t["params"], distributions={k: space[k] for k in t["params"]},
            intermediate_values={int(k): v for k, v in t["intermediate"].items()},
            user_attrs={"run": t["run"], "restored_seconds": t["seconds"], "train_seconds": t["train_seconds"]},
        ))
        added += 1
    return added


def summary(study: optuna.Study, config: dict) -> dict:
    """The results file: the profile's settings, every trial, and the best complete trial."""
    recorded = trials(study)
    complete = [t for t in recorded if t["state"] == "COMPLETE"]
    best = min(complete, key=lambda t: t["value"]) if complete else None
    return {"experiment": EXPERIMENT, "config": config, "paper_optimum": PAPER,
            "sampler": "optuna.samplers.GPSampler",
            "optuna_version": optuna.__version__, "trials": recorded, "best": best}


def _without_trials(config: dict) -> dict:
    """A search's settings but its number of trials: a longer search continues a shorter one."""
    return {k: v for k, v in config.items() if k != "trials"}


def search(profile: str, *, storage: str | None = None, worker=0, data_dir=None, heartbeat_seconds=60,
           grace_seconds=180) -> dict:
    """Run (or join, or resume) the search of ``profile`` until ``trials`` trials have completed; returns
    the results file's content, also written to ``results/06_search.json`` after every trial.

    A finished search in the results file is returned without opening a storage.
    """
    config = profiles.get(EXPERIMENT, profile)
    path = results_path(profile)
    recorded = results.read_json(path) if path.exists() else None
    if recorded is not None and _without_trials(recorded["config"]) != _without_trials(config):
        raise ValueError(f"{path} holds a search with other settings ({recorded['config']}) than profile "
                         f"{profile!r} ({config}): delete it to search again.")
    if recorded is not None and sum(t["state"] == "COMPLETE" for t in recorded["trials"]) >= config["trials"]:
        return recorded
    study = open_study(config, storage or storage_url(profile), worker=worker,
                       heartbeat_seconds=heartbeat_seconds, grace_seconds=grace_seconds)
    if recorded is not None:
        restore(study, recorded["trials"], config)

    def save(study, trial):
        results.save(EXPERIMENT, profile, summary(study, config))

    stop = optuna.study.MaxTrialsCallback(config["trials"], states=FINISHED)
    if len(study.get_trials(deepcopy=False, states=FINISHED)) < config["trials"]:
        study.optimize(objective(config, profile, data_dir), callbacks=[save, stop], catch=())
    results.save(EXPERIMENT, profile, summary(study, config))
    return results.read_json(path)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", choices=profiles.NAMES, default=profiles.REFERENCE)
    parser.add_argument("--storage", help="an Optuna RDB URL shared by the workers (default: SQLite under runs/)")
    parser.add_argument("--worker", type=int, default=0, help="this worker's number, distinct per worker (seeds its sampler)")
    parser.add_argument("--heartbeat", type=int, default=60, help="seconds between a running trial's heartbeats")
    parser.add_argument("--grace", type=int, default=180, help="seconds without a heartbeat before a trial counts as killed")
    parser.add_argument("--data-dir", default=None, help="CIFAR folder (default: $SPECTRAL_CNN_DATA, else data/)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    result = search(args.profile, storage=args.storage, worker=args.worker, data_dir=args.data_dir,
                    heartbeat_seconds=args.heartbeat, grace_seconds=args.grace)
    best = result["best"]
    print(f"{len(result['trials'])} trials in {(time.perf_counter() - start) / 60:.1f} min; best validation "
          f"error {best['value']:.4f} with {best['params']}" if best else "no complete trial")


if __name__ == "__main__":
    main()
