"""The speed-up of Figure 5 computed as the paper's section 5 defines it, on hand-made curves."""

import numpy as np
import pytest

from spectral_lib.files import write_json
from spectral_lib.repro import fig5, profiles, run_settings, runs, store


def test_speedup_in_epochs_and_seconds():
    spatial = [0.6, 0.5, 0.4, 0.35, 0.3, 0.32]  # best 0.30 at epoch 5
    spectral = [0.5, 0.4, 0.29, 0.25, 0.2, 0.2]  # first at or below 0.30 at epoch 3
    out = fig5.speedup(spatial, spectral, [10, 20, 30, 40, 50, 60], [20, 40, 60, 80, 100, 120])
    assert out == {
        "spatial_best": 0.3,
        "spectral_best": 0.2,
        "target": 0.3,
        "spatial_epoch": 5,
        "spectral_epoch": 3,
        "status": "ok",
        "epochs": 5 / 3,
        "seconds": 50 / 60,
    }


def test_a_tolerance_moves_both_epochs_to_the_first_within_it_of_the_spatial_best():
    spatial = [0.6, 0.5, 0.42, 0.41, 0.40, 0.45]  # best 0.40 at epoch 5, within 0.02 of it from epoch 3
    spectral = [0.5, 0.41, 0.39, 0.38, 0.38, 0.38]  # within from epoch 2, at or below the best from 3
    assert fig5.speedup(spatial, spectral)["epochs"] == pytest.approx(5 / 3)
    out = fig5.speedup(spatial, spectral, tolerance=0.02)
    assert (out["target"], out["spatial_best"]) == (pytest.approx(0.42), 0.40)
    assert (out["spatial_epoch"], out["spectral_epoch"], out["epochs"]) == (3, 2, 1.5)
    # still too short when the best itself is at the last epoch, however early the tolerance is met
    assert fig5.speedup([0.5, 0.41, 0.40], [0.3] * 3, tolerance=0.02)["status"] == "too short"
    with pytest.raises(ValueError, match="tolerance"):
        fig5.speedup(spatial, spectral, tolerance=-0.01)


def test_target_is_the_first_epoch_of_the_spatial_best_and_equal_counts_as_reached():
    out = fig5.speedup([0.5, 0.3, 0.4, 0.3, 0.35], [0.4, 0.3, 0.3, 0.3, 0.3])
    assert (out["spatial_epoch"], out["spectral_epoch"], out["epochs"]) == (2, 2, 1.0)
    assert "seconds" not in out


def test_no_number_when_the_spatial_best_is_at_the_last_epoch():
    out = fig5.speedup([0.5, 0.4, 0.3], [0.2, 0.1, 0.1])
    assert out["status"] == "too short" and "epochs" not in out


def test_no_number_when_the_spectral_arm_never_reaches_the_target():
    out = fig5.speedup([0.5, 0.3, 0.4], [0.45, 0.35, 0.31])
    assert out["status"] == "not reached" and out["spectral_epoch"] is None and "epochs" not in out


def test_a_slower_spectral_arm_gives_a_speedup_below_one():
    assert fig5.speedup([0.5, 0.3, 0.4], [0.6, 0.5, 0.3])["epochs"] == pytest.approx(2 / 3)


def test_describe_names_the_speedup_and_the_epochs_it_is_the_ratio_of():
    spatial = [0.6, 0.5, 0.4, 0.35, 0.3, 0.32]
    out = fig5.speedup(spatial, [0.5, 0.4, 0.29, 0.25, 0.2, 0.2], [10, 20, 30, 40, 50, 60], [20, 40, 60, 80, 100, 120])
    assert fig5.describe(out) == "1.67 (0.83) = 5/3"
    assert fig5.describe(fig5.speedup(spatial, [0.5] * 6)) == "not reached (the spatial arm was there at epoch 5)"
    assert fig5.describe(fig5.speedup([0.5, 0.4, 0.3], [0.2] * 3)) == "too short (spatial best at its last epoch)"


def test_curves_of_different_lengths_are_an_error():
    with pytest.raises(ValueError, match="one length"):
        fig5.speedup([0.5, 0.4], [0.5])


def _record(errors):
    return {"history": {"test_error": errors, "wall_seconds": [float(i + 1) for i in range(len(errors))]}}


def test_table_gives_every_seed_and_summarizes_the_defined_ones():
    records = []
    curves = {  # seed: (spatial, spectral)
        0: ([0.5, 0.3, 0.4], [0.3, 0.3, 0.2]),  # 2 / 1
        1: ([0.5, 0.4, 0.3, 0.4], [0.4, 0.3, 0.3, 0.3]),  # 3 / 2
        2: ([0.5, 0.4, 0.3], [0.4, 0.3, 0.3]),  # spatial best at its last epoch
    }
    for seed, arms in curves.items():
        for arm, errors in zip(("spatial", "spectral"), arms):
            run = run_settings.settings(parameterization=arm, seed=seed)
            records.append({"cell": ("generic", 3), "role": "adam", "run": run, "record": _record(errors)})
    (row,) = fig5.table(records)
    assert [s["status"] for s in row["seeds"]] == ["ok", "ok", "too short"]
    assert row["epochs"]["mean"] == pytest.approx(1.75) and row["epochs"]["n"] == 2
    assert (row["epochs"]["min"], row["epochs"]["max"]) == (1.5, 2.0)
    assert row["epochs"]["std"] == pytest.approx(0.35355, abs=1e-4)
    assert fig5.describe_summary(row["epochs"]) == "1.75 +- 0.35"
    assert fig5.describe_summary(fig5.summarize([2.0])) == "2.00" and fig5.describe_summary(None) == "-"
    # within one standard error of the spatial best on the runs' test images: 0.3 +- sqrt(0.21 / n)
    se = (0.3 * 0.7 / records[0]["run"]["test_images"]) ** 0.5
    assert [s["within_se"]["target"] for s in row["seeds"]] == [pytest.approx(0.3 + se)] * 3
    # the spatial best of the epochs before the last fifth (2 of 3, 3 of 4, 2 of 3): seed 2's last epoch beat it
    assert [s["spatial_best_before_last_fifth"] for s in row["seeds"]] == [0.3, 0.3, 0.4]
    # each arm's best over all three seeds, the too-short one included
    assert row["best_error"]["spatial"]["mean"] == pytest.approx(0.3) and row["best_error"]["spatial"]["n"] == 3
    assert row["best_error"]["spectral"]["mean"] == pytest.approx((0.2 + 0.3 + 0.3) / 3)


def test_plan_pairs_every_adam_run_with_the_other_arm_and_differs_only_in_parameterization():
    entries = fig5.plan("smoke")
    adam = [e for e in entries if e["role"] == "adam"]
    keys = {(e["cell"], e["run"]["seed"]): [] for e in adam}
    for e in adam:
        keys[(e["cell"], e["run"]["seed"])].append(e["run"])
    for pair in keys.values():
        spatial, spectral = sorted(pair, key=lambda r: r["parameterization"])
        assert {k for k in spatial if spatial[k] != spectral[k]} == {"parameterization"}
    cells = {e["cell"] for e in adam}
    assert cells == {(a, k) for a in ("generic", "deep", "spectral_pooling") for k in (3, 5)}
    roles = [e["role"] for e in entries]
    assert roles.count("sgd") == 2 and roles.count("momentum") == 2 and roles.count("adam-raw") == 1
    assert len({run_settings.name(e["run"]) for e in entries}) == len(entries)


def test_the_paper_plan_trains_generic_first_then_every_cells_seed_0_before_any_seed_1():
    # issue 32's priority: Generic 3x3 (with Figure 3's snapshots and the controls) and 5x5 on all seeds, then
    # Deep and Sp. Pooling seed 0 in every cell, then their seeds 1 and 2
    adam = [(e["cell"], e["run"]["seed"]) for e in fig5.plan("paper") if e["role"] == "adam"]
    generic = [(("generic", k), seed) for k in (3, 5) for seed in range(3)]
    rest = [((a, k), seed) for seed in range(3) for k in (3, 5) for a in ("deep", "spectral_pooling")]
    assert adam[::2] == adam[1::2] == generic + rest


def test_the_full_data_runs_are_read_from_their_record_else_their_progress(tmp_path, monkeypatch):
    monkeypatch.setattr(profiles, "project_root", lambda: tmp_path)
    spatial, spectral = fig5.plan(fig5.FULL_DATA)[:2]
    stretch = {"commit": "abc1234", "machine": "CPU X, 2 cores", "backend": "tensorflow", "device": "CPU X"}
    stretch |= {"precision": "float32", "first_epoch": 0, "last_epoch": 3, "start": "fresh"}
    lost = {**stretch, "device": "GPU Y", "backend": "jax", "lost": True}  # its checkpoint gone: retrained
    write_json(
        store.progress_path(spatial["run"], fig5.EXPERIMENT, fig5.FULL_DATA),
        {"history": {"test_error": [0.5, 0.4, 0.45]}, "segments": [lost, stretch]},
    )
    epochs = spectral["epochs"]
    write_json(
        store.record_path(spectral["run"], fig5.EXPERIMENT, fig5.FULL_DATA),
        {
            "settings": spectral["run"],
            "epochs": epochs,
            "history": {"test_error": [0.3] * epochs},
            "segments": [{**stretch, "last_epoch": epochs}],
        },
    )
    rows = fig5.full_data()
    assert [(r["status"], r["epochs"]) for r in rows[:3]] == [
        ("in progress", 3),
        ("finished", epochs),
        ("not started", 0),
    ]
    assert (rows[0]["devices"], rows[0]["test_error"]) == (["CPU X (tensorflow)"], [0.5, 0.4, 0.45])
    assert (rows[2]["devices"], rows[2]["test_error"]) == ([], [])
    assert fig5.describe_full_data(rows) == (
        f"1 of {len(rows)} runs finished, 1 in progress (Generic 3x3 adam spatial seed 0 at epoch 3 of {epochs} "
        f"(best test error so far 0.4000, on CPU X (tensorflow))), {len(rows) - 2} not started"
    )


@pytest.mark.parametrize("optimizer,drifts_apart", [("sgd", False), ("adam", True)])
def test_kernel_gap_separates_the_change_of_basis_from_round_off(optimizer, drifts_apart, monkeypatch):
    # The paper's section 4: with SGD the orthonormal spectral arm takes the spatial arm's steps (its drift is the
    # round-off drift); Adam's per-coordinate scaling is not basis-invariant (over 10x the round-off drift).
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 256, (32, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, 32)
    monkeypatch.setattr(runs, "datasets", lambda run, data_dir=None: {"train": (x, y)})
    run = run_settings.settings(
        optimizer=optimizer,
        learning_rate=0.01 if optimizer == "sgd" else 1e-3,
        batch_size=16,
        train_images=32,
        test_images=16,
        augmentation=False,
    )
    gaps = fig5.kernel_gap(run, 3)
    assert len(gaps["spectral"]) == len(gaps["round_off"]) == 3
    ratio = gaps["spectral"][0] / max(gaps["round_off"][0], 1e-7)
    assert (ratio > 10) if drifts_apart else (ratio < 10), gaps


def test_a_recorded_kernel_gap_is_read_back_not_recomputed(tmp_path, monkeypatch):
    # Round-off differs between CPUs: the notebook re-executed elsewhere must show the committed gaps.
    monkeypatch.setattr(fig5.profiles, "project_root", lambda: tmp_path)
    run = run_settings.settings(optimizer="sgd", learning_rate=0.01, batch_size=16, train_images=32, test_images=16)
    monkeypatch.setattr(
        fig5,
        "kernel_gap",
        lambda run, steps, data_dir=None: {"spectral": [1e-6] * steps, "round_off": [2e-6] * steps},
    )
    first = fig5.recorded_kernel_gap(run, 3, "cpu")
    path = store.kernel_gap_path(run, 3, fig5.EXPERIMENT, "cpu")
    assert path.parent == tmp_path / "results" / "runs" / "04_fig5" / "kernel_gap"

    def retrained(*args, **kwargs):
        raise AssertionError("a recorded gap was computed again")

    monkeypatch.setattr(fig5, "kernel_gap", retrained)
    again = fig5.recorded_kernel_gap(run, 3, "cpu")
    assert again["gaps"] == first["gaps"] == {"spectral": [1e-6] * 3, "round_off": [2e-6] * 3}
    assert again["machine"] == first["machine"] and again["steps"] == 3
    with pytest.raises(ValueError, match="other settings"):
        path.rename(store.kernel_gap_path(run, 4, fig5.EXPERIMENT, "cpu"))
        fig5.recorded_kernel_gap(run, 4, "cpu")


def test_the_controls_kernel_gap_runs_are_those_of_the_committed_records():
    runs = fig5.kernel_gap_runs("cpu")
    assert [r["optimizer"] for r in runs.values()] == ["sgd", "sgd", "adam"] and runs["SGD"]["momentum"] == 0
    steps = fig5.Figure5.config("cpu")["controls"]["gap_steps"]
    for label, run in runs.items():  # a refactor that changed a setting would orphan the committed gaps
        assert store.kernel_gap_path(run, steps, fig5.EXPERIMENT, "cpu").exists(), label


def test_the_first_step_reads_as_round_off_only_within_the_factor_of_round_off_alone():
    assert fig5.first_step_is_round_off({"spectral": [2.0e-6, 1.0], "round_off": [2.0e-6, 1.0]})
    assert fig5.first_step_is_round_off({"spectral": [1.5e-5], "round_off": [2.0e-6]})  # within the factor
    assert not fig5.first_step_is_round_off({"spectral": [3.5e-2], "round_off": [4.1e-4]})  # Adam's: 85x
