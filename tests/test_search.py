"""The hyperparameter search: the paper's space, trials that never see the test set, reuse, resume after
a fresh storage or a killed worker, and two workers sharing one SQLite study."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import optuna
import pytest

from spectral_lib import training
from spectral_lib.repro import profiles, runs, search, store, verdicts

TINY = {
    "dataset": "cifar10",
    "searched": ["num_layers", "weight_decay", "learning_rate"],
    "trials": 3,
    "startup_trials": 3,
    "max_layers": 2,
    "train_images": 32,
    "validation_images": 16,
    "epochs": 1,
    "min_epochs": 1,
    "batch_size": 16,
    "seed": 0,
    "precision": "float32",
    "notebook_trains": True,
}

# A worker process on 48 random CIFAR-like images, its project root in argv[1].
WORKER = textwrap.dedent("""
    import sys
    import numpy as np
    from spectral_lib.repro import profiles, runs, search
    root, storage, worker, config = sys.argv[1], sys.argv[2], int(sys.argv[3]), eval(sys.argv[4])
    from pathlib import Path
    profiles.project_root = runs.project_root = lambda: Path(root)
    search.Search.profiles["smoke"] = config
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 256, (48, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, 48)
    runs.datasets = lambda run, data_dir=None: {"train": (x[:32], y[:32]), "validation": (x[32:], y[32:])}
    search.search("smoke", storage=storage, worker=worker, heartbeat_seconds=1, grace_seconds=2)
""")


def test_the_space_is_the_papers_and_the_rest_is_fixed_at_its_optimum():
    space = search.distributions({"max_layers": 15, "searched": search.PARAMETERS})
    assert (space["gamma"].low, space["gamma"].high) == (0.25, 0.85)
    assert (space["num_layers"].low, space["num_layers"].high) == (1, 15)
    assert (space["alpha"].low, space["alpha"].high) == (space["beta"].low, space["beta"].high) == (0.0, 0.8)
    assert (space["weight_decay"].low, space["weight_decay"].high) == (1e-5, 1e-2)
    # momentum in [1 - 0.1^0.5, 1 - 0.1^2], searched as 1 - momentum on a log scale
    assert np.isclose(1 - space["one_minus_momentum"].high, 1 - 0.1**0.5)
    assert np.isclose(1 - space["one_minus_momentum"].low, 0.99)
    assert (space["learning_rate"].low, space["learning_rate"].high) == (1e-4, 0.1)
    cpu = search.Search.config("cpu")
    assert list(search.distributions(cpu)) == ["num_layers", "weight_decay", "learning_rate"]
    assert search.distributions(cpu)["num_layers"].high >= 12
    assert search.fixed(cpu) == {"gamma": 0.85, "alpha": 0.30, "beta": 0.15, "momentum": 0.95}
    with pytest.raises(ValueError, match="`searched` must include \\['weight_decay'\\]"):
        search.fixed({"searched": ["num_layers"]})


def test_a_parameter_at_an_end_of_its_range_is_flagged():
    config = {"max_layers": 12, "searched": ["num_layers", "weight_decay", "learning_rate"]}
    best = {"params": {"num_layers": 12, "weight_decay": 1.05e-5, "learning_rate": 0.01}}
    assert search.at_bounds(best, config) == {"num_layers": "highest", "weight_decay": "lowest"}
    assert search.at_bounds({"params": {"num_layers": 11, "weight_decay": 1e-3, "learning_rate": 0.1}}, config) == {
        "learning_rate": "highest"
    }


def test_paper_schedule_drops_at_two_thirds_and_fourteen_fifteenths():
    assert search.paper_drops(150) == (100, 140)
    assert search.paper_drops(30) == (20, 28)
    assert search.paper_drops(4) == (3,)  # round(14 * 4 / 15) = 4 is the last epoch: no drop after it
    assert search.paper_drops(1) == ()


def test_a_trial_trains_with_sgd_on_the_validation_split_and_never_loads_the_test_set():
    params = {
        "gamma": 0.6,
        "num_layers": 2,
        "alpha": 0.4,
        "beta": 0.1,
        "weight_decay": 1e-4,
        "one_minus_momentum": 0.05,
        "learning_rate": 0.01,
    }
    run = search.trial_run(params, {**TINY, "epochs": 6, "searched": search.PARAMETERS})
    assert run["test_images"] == 0 and run["validation_images"] == 16
    assert run["optimizer"] == "sgd" and np.isclose(run["momentum"], 0.95) and not run["augmentation"]
    assert run["learning_rate_drops"] == (4,) and run["architecture"] == "spectral_pooling"
    assert (run["gamma"], run["num_layers"], run["alpha"], run["beta"]) == (0.6, 2, 0.4, 0.1)


@pytest.fixture
def tiny_search(tmp_path, monkeypatch):
    """The smoke search on 48 random images in a project root in tmp_path."""
    monkeypatch.setattr(profiles, "project_root", lambda: tmp_path)
    monkeypatch.setitem(search.Search.profiles, "smoke", dict(TINY))
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 256, (48, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, 48)
    monkeypatch.setattr(
        runs, "datasets", lambda run, data_dir=None: {"train": (x[:32], y[:32]), "validation": (x[32:], y[32:])}
    )
    return tmp_path


def test_an_unstarted_search_is_missing_and_a_started_one_is_read_as_far_as_it_got(tiny_search, monkeypatch):
    monkeypatch.setitem(search.Search.profiles, "smoke", {**TINY, "notebook_trains": False})
    assert "has not started" in search.Search().missing("smoke")
    with pytest.raises(FileNotFoundError, match="python -m spectral_lib.repro.search --profile smoke"):
        search.read("smoke")
    monkeypatch.setitem(search.Search.profiles, "smoke", {**TINY, "notebook_trains": False, "trials": 1})
    started = search.search("smoke")
    monkeypatch.setitem(search.Search.profiles, "smoke", {**TINY, "notebook_trains": False})  # 1 of 3 finished
    assert search.Search().missing("smoke") is None  # notebook 06 shows it as far as it got
    assert search.read("smoke") == started and len(started["trials"]) == 1  # nothing trained
    assert search.best("smoke") is None  # unfinished: the table trains no searched setting yet


def test_a_finished_search_is_reused_and_a_fresh_storage_continues_it(tiny_search, monkeypatch):
    first = search.search("smoke")
    assert [t["state"] for t in first["trials"]] == ["COMPLETE"] * 3
    assert first["best"]["value"] == min(t["value"] for t in first["trials"])
    for t in first["trials"]:  # each trial is a recorded run, scored on its validation error only
        record = store.load(search.trial_run(t["params"], TINY), 1, search.EXPERIMENT, "smoke")
        assert record["history"]["validation_error"][-1] == t["value"] and "final_test" not in record

    db = tiny_search / "runs/smoke/06_search/study.db"
    db.unlink()
    assert search.search("smoke")["trials"] == first["trials"]  # reused from the results file
    assert not db.exists()

    monkeypatch.setitem(search.Search.profiles, "smoke", {**TINY, "trials": 4})
    longer = search.search("smoke")  # a fresh storage, seeded with the 3 recorded trials
    assert [t["number"] for t in longer["trials"]] == [0, 1, 2, 3]
    assert [t["params"] for t in longer["trials"][:3]] == [t["params"] for t in first["trials"]]
    assert longer["trials"][3]["params"] not in [t["params"] for t in first["trials"]]

    monkeypatch.setitem(search.Search.profiles, "smoke", {**TINY, "epochs": 2})
    with pytest.raises(ValueError, match="another config"):
        search.search("smoke")

    # README says a search is unfinished until its results file holds all its trials.
    unfinished = {**first, "profile": "smoke", "config": {**TINY, "trials": 5}}
    section = " ".join(search.Search().readme_section(unfinished))
    assert "not finished: 3 of its 5 trials" in section
    assert "(of 5, unfinished)" in search.Search().readme_items(unfinished)[0]
    assert "not finished" not in " ".join(search.Search().readme_section({**first, "profile": "smoke"}))
    assert "distinct" not in section
    ten_minutes = [{**t, "train_seconds": 600.0} for t in first["trials"]]
    repeated = {**unfinished, "trials": [*ten_minutes, ten_minutes[0]]}  # a repeated run was trained once
    section = " ".join(search.Search().readme_section(repeated))
    assert "4 finished trials (0 pruned, 3 distinct settings), 30 min of training" in section


@pytest.mark.parametrize("fresh_storage", [False, True], ids=["restarted worker", "fresh storage"])
def test_a_continued_search_does_not_repeat_its_random_start_up_trials(tiny_search, monkeypatch, fresh_storage):
    # Still in the random start-up phase (5 random trials, 2 done): a worker that opens the study again, or a
    # fresh storage seeded from the results file, must draw new points, not the ones its first process drew.
    monkeypatch.setitem(search.Search.profiles, "smoke", {**TINY, "trials": 2, "startup_trials": 5, "max_layers": 15})
    first = search.search("smoke")
    if fresh_storage:
        (tiny_search / "runs/smoke/06_search/study.db").unlink()
    monkeypatch.setitem(search.Search.profiles, "smoke", {**TINY, "trials": 4, "startup_trials": 5, "max_layers": 15})
    params = [t["params"] for t in search.search("smoke")["trials"]]
    assert params[:2] == [t["params"] for t in first["trials"]]
    assert params[2] not in params[:2] and params[3] not in params[:3], params


def test_a_trial_is_scored_by_its_last_epoch_not_its_best(monkeypatch):
    history = {"validation_error": [0.5, 0.3, 0.4], "wall_seconds": [1.0, 2.0, 3.0]}
    monkeypatch.setattr(runs, "train", lambda *a, **k: {"history": history, "machine": "test machine"})
    study = optuna.create_study()
    value = search.objective({**TINY, "epochs": 3}, "smoke")(study.ask())
    assert value == 0.4


def test_each_epoch_is_reported_while_it_trains_and_a_pruned_trial_stops_there(tiny_search):
    class PruneAfterTwo(optuna.pruners.BasePruner):
        def prune(self, study, trial):
            return max(trial.intermediate_values, default=0) >= 2

    study = optuna.create_study(pruner=PruneAfterTwo())
    config = {**TINY, "epochs": 5}
    study.optimize(search.objective(config, "smoke"), n_trials=1)
    trial = study.trials[0]
    assert trial.state == optuna.trial.TrialState.PRUNED and sorted(trial.intermediate_values) == [1, 2]
    run = search.trial_run(trial.params, config)
    assert training.finished_epochs(store.run_dir(run, search.EXPERIMENT, "smoke")) == 2  # stopped, not finished
    assert store.load(run, 5, search.EXPERIMENT, "smoke") is None
    assert search.trials(study, config)[0]["value"] == trial.intermediate_values[2]


def _worker(root, storage, worker, config):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, str(root), storage, str(worker), repr(config)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_two_workers_share_one_sqlite_study_without_losing_or_repeating_trials(tmp_path):
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    workers = [_worker(tmp_path, storage, k, {**TINY, "trials": 6, "startup_trials": 6}) for k in (0, 1)]
    for w in workers:
        out, _ = w.communicate(timeout=600)
        assert w.returncode == 0, out
    study = optuna.load_study(study_name="spectral-pooling-cifar10", storage=storage)
    trials = study.get_trials()
    numbers = sorted(t.number for t in trials)
    assert numbers == list(range(len(trials)))  # none lost
    complete = [t for t in trials if t.state in search.finished_states()]
    assert 6 <= len(complete) <= 7  # each worker stops once 6 have finished; one may be finishing its last
    params = [tuple(sorted(t.params.items())) for t in complete]
    assert len(set(params)) == len(params)  # none repeated: the workers' samplers are seeded apart


def test_a_killed_worker_s_trial_is_retried_with_its_parameters(tmp_path):
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    config = {**TINY, "trials": 2, "startup_trials": 2, "epochs": 30}
    worker = _worker(tmp_path, storage, 0, config)
    history = tmp_path / "runs/smoke/06_search"
    deadline = time.monotonic() + 300
    while not any(history.glob("*/history.csv")):  # a trial is under way and has finished an epoch
        assert worker.poll() is None and time.monotonic() < deadline, worker.stdout.read() if worker.poll() else ""
        time.sleep(0.5)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    time.sleep(3)  # past the grace period: its trial is stale
    resumed = _worker(tmp_path, storage, 0, {**config, "epochs": 30})
    out, _ = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, out
    trials = optuna.load_study(study_name="spectral-pooling-cifar10", storage=storage).get_trials()
    killed = [t for t in trials if t.state == optuna.trial.TrialState.FAIL]
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(killed) == 1 and len(complete) == 2
    assert killed[0].params in [t.params for t in complete]  # retried, not lost


def test_the_two_best_trials_are_compared_against_the_binomial_noise_of_their_difference():
    def trial(number, value, state="COMPLETE"):
        return {"number": number, "state": state, "value": value}

    assert search.top_two([trial(0, 0.6), trial(1, 0.5, "PRUNED")], 5000) is None
    se = verdicts.difference_se(0.60, 0.615, 5000)  # 0.0097: 1.5 points are within 2 of them
    near = search.top_two([trial(3, 0.615), trial(1, 0.60), trial(2, 0.9, "PRUNED")], 5000)
    assert near.startswith("the two best complete trials (1 and 3) differ by 1.50 points, within 2 binomial")
    assert f"({100 * 2 * se:.2f} points on 5000 validation images)" in near
    assert "beyond 2" in search.top_two([trial(0, 0.50), trial(1, 0.60)], 5000)


def test_a_time_limit_stops_a_trial_after_an_epoch_and_the_next_call_resumes_it(tiny_search, monkeypatch):
    monkeypatch.setitem(search.Search.profiles, "smoke", {**TINY, "epochs": 3, "trials": 2, "startup_trials": 2})
    config = search.Search.config("smoke")
    stopped = search.search("smoke", deadline=time.monotonic())  # every epoch ends past it: one epoch, then stop
    assert [t["state"] for t in stopped["trials"]] == ["FAIL", "WAITING"] and stopped["best"] is None  # queued again
    params = stopped["trials"][0]["params"]
    run = search.trial_run(params, config)
    assert training.finished_epochs(store.run_dir(run, search.EXPERIMENT, "smoke")) == 1
    done = search.search("smoke")
    first = next(t for t in done["trials"] if t["state"] == "COMPLETE")
    assert first["params"] == params  # queued first, and trained on from its checkpoint
    segments = store.load(run, 3, search.EXPERIMENT, "smoke")["segments"]
    assert [(s["first_epoch"], s["last_epoch"], s["start"]) for s in segments] == [(0, 1, "fresh"), (1, 3, "resumed")]
