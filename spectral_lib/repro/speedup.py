"""Figure 5: the runs of the spatial-vs-spectral comparison and the speed-up computed from their curves.

Speed-up as PAPER.md section 5 defines it: take the best (lowest) test error
the spatial arm reaches, at epoch ``e_spatial`` (the first epoch it is
reached); ``e_spectral`` is the first epoch at which the spectral arm's error is
at most that; the speed-up is ``e_spatial / e_spectral``. The same ratio of
cumulative wall-clock seconds at those two epochs is the speed-up in time. No
number is given when it is not defined: the spectral arm never reaches the
target (``"not reached"``), or the spatial arm's best is at its last epoch, so
the run was too short to know its best (``"too short"``).

A second reading, not the paper's, for noisy curves: ``tolerance`` raises the
target to the spatial best plus a tolerance, and both epochs become the first
at which each arm is at most that. With one binomial standard error of the
best error measured on ``n`` test images, ``sqrt(b (1 - b) / n)``
(:func:`standard_error`), it asks how soon each arm gets within test noise of
the spatial best, instead of asking the spectral arm to match the spatial
arm's luckiest epoch on a plateau.

``python -m spectral_lib.repro.speedup --profile cpu`` trains every run of
the profile (reusing finished runs, resuming an interrupted one), so the
long training can run in the background before the notebook is executed.
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np

from spectral_lib import inputs
from spectral_lib.repro import profiles, runs

EXPERIMENT = "04_fig5"
ARCHITECTURES = {"generic": "Generic", "deep": "Deep", "spectral_pooling": "Sp. Pooling"}
# Figure 5(b), speed-up in epochs of the spectral over the spatial parameterization (PAPER.md section 5).
PAPER = {("deep", 3): 2.2, ("deep", 5): 4.8, ("generic", 3): 2.2, ("generic", 5): 5.1,
         ("spectral_pooling", 3): 2.4, ("spectral_pooling", 5): 4.8}


def plan(profile: str) -> list[dict]:
    """Every run of Figure 5 under ``profile``, most important first.

    Each entry: ``cell`` (``(architecture, kernel_size)``), ``role``
    (``"adam"``, ``"sgd"``, ``"momentum"`` or ``"adam-raw"``), ``run``
    (settings), ``epochs`` and ``snapshot_epochs`` (the Generic 3x3 Adam pair of
    seed 0 is saved for Figure 3).
    """
    config = profiles.get(EXPERIMENT, profile)
    fig3_epoch = profiles.get("05_fig3", profile)["epoch"]
    entries = []

    def add(cell, role, parameterization, seed, data, **extra):
        run = runs.settings(
            architecture=cell[0], kernel_size=cell[1], parameterization=parameterization, seed=seed,
            train_images=data["train_images"], test_images=data["test_images"], batch_size=data["batch_size"],
            **extra,
        )
        snapshots = (fig3_epoch,) if cell == ("generic", 3) and role == "adam" and seed == 0 else ()
        entries.append({"cell": cell, "role": role, "run": run, "epochs": data["epochs"],
                        "snapshot_epochs": snapshots})

    adam = {"optimizer": "adam", "learning_rate": config["adam_learning_rate"]}
    generic = config["cells"]["generic"]
    control = {**generic, "epochs": config["controls"]["epochs"]}
    sgd = {"optimizer": "sgd", "learning_rate": config["controls"]["learning_rate"]}
    order = [("generic", 3), "controls", ("generic", 5)] + [(a, k) for k in config["kernel_sizes"] for a in ("deep", "spectral_pooling")]
    for cell in order:
        if cell == "controls":
            for arm in ("spatial", "spectral"):
                add(("generic", 3), "sgd", arm, 0, control, **sgd)
                add(("generic", 3), "momentum", arm, 0, control, **sgd, momentum=config["controls"]["momentum"])
            add(("generic", 3), "adam-raw", "spectral", 0, generic, orthonormal=False, **adam)
            continue
        data = config["cells"][cell[0]]
        for seed in range(data["seeds"]):
            for arm in ("spatial", "spectral"):
                add(cell, "adam", arm, seed, data, **adam)
    return entries


def speedup(spatial_error, spectral_error, spatial_seconds=None, spectral_seconds=None, tolerance=0.0) -> dict:
    """The speed-up of the spectral arm from the two per-epoch test-error curves (module docstring).

    Returns ``status`` (``"ok"``, ``"too short"`` or ``"not reached"``), each
    arm's best error (``spatial_best``, ``spectral_best``), the ``target``
    (``spatial_best + tolerance``), ``spatial_epoch`` and ``spectral_epoch`` (the
    first epoch, 1-based, at or below the target; ``None`` when not reached)
    and, when ``ok``, ``epochs`` (the speed-up in epochs) and, given the
    cumulative seconds, ``seconds`` (in wall-clock time).

    >>> speedup([0.5, 0.4, 0.3, 0.35], [0.45, 0.3, 0.25, 0.2])["epochs"]
    1.5
    """
    if not spatial_error or len(spatial_error) != len(spectral_error):
        raise ValueError(f"the curves must be non-empty and of one length, got {len(spatial_error)} and "
                         f"{len(spectral_error)} epochs.")
    if not tolerance >= 0:
        raise ValueError(f"`tolerance` must be a non-negative error, got tolerance={tolerance!r}.")
    best = min(spatial_error)
    target = best + tolerance
    spatial_epoch = next(i + 1 for i, e in enumerate(spatial_error) if e <= target)
    spectral_epoch = next((i + 1 for i, e in enumerate(spectral_error) if e <= target), None)
    out = {"spatial_best": best, "spectral_best": min(spectral_error), "target": target,
           "spatial_epoch": spatial_epoch, "spectral_epoch": spectral_epoch}
    if spatial_error.index(best) + 1 == len(spatial_error):
        return {**out, "status": "too short"}
    if spectral_epoch is None:
        return {**out, "status": "not reached"}
    out.update(status="ok", epochs=spatial_epoch / spectral_epoch)
    if spatial_seconds is not None and spectral_seconds is not None:
        out["seconds"] = spatial_seconds[spatial_epoch - 1] / spectral_seconds[spectral_epoch - 1]
    return out


def describe(result: dict) -> str:
    """One :func:`speedup` result as text: ``"3.71 (3.96) = 26/7"`` (epochs, wall clock in parentheses,
    then ``e_spatial/e_spectral``), or why there is none."""
    e_spatial, e_spectral = result["spatial_epoch"], result["spectral_epoch"]
    if result["status"] == "ok":
        seconds = f" ({result['seconds']:.2f})" if "seconds" in result else ""
        return f"{result['epochs']:.2f}{seconds} = {e_spatial}/{e_spectral}"
    if result["status"] == "too short":
        return "too short (spatial best at its last epoch)"
    return f"not reached (the spatial arm was there at epoch {e_spatial})"


def pair_speedup(spatial: dict, spectral: dict, tolerance=0.0) -> dict:
    """:func:`speedup` of two run records."""
    a, b = spatial["history"], spectral["history"]
    return speedup(a["test_error"], b["test_error"], a["wall_seconds"], b["wall_seconds"], tolerance)


def standard_error(error: float, n: int) -> float:
    """Binomial standard error of an error rate measured on ``n`` images, ``sqrt(e (1 - e) / n)``."""
    return (error * (1 - error) / n) ** 0.5


def summarize(values: list[float]) -> dict:
    """Mean, min, max and sample standard deviation (``None`` for one value)."""
    return {"mean": statistics.fmean(values), "min": min(values), "max": max(values),
            "std": statistics.stdev(values) if len(values) > 1 else None, "n": len(values)}


def describe_summary(summary: dict | None) -> str:
    """A :func:`summarize` result as ``"3.45 +- 0.39"`` (no spread for one value), ``"-"`` for none."""
    if summary is None:
        return "-"
    return f"{summary['mean']:.2f}" + ("" if summary["std"] is None else f" +- {summary['std']:.2f}")


def table(records: list[dict]) -> list[dict]:
    """One row per cell of the Adam runs: the speed-up of every seed, and their summary over the seeds
    where it is defined (``status`` of each seed says why one is missing); the same within one standard
    error of the spatial best (``within_se`` of each seed, ``epochs_within_se``); ``best_error``: each
    arm's best test error over all seeds (PAPER.md claim 6: does the spectral arm also end lower?)."""
    by_key = {(r["cell"], r["role"], r["run"]["parameterization"], r["run"]["seed"]): r for r in records}
    rows = []
    cells = {r["cell"] for r in records if r["role"] == "adam"}
    for cell in sorted(cells, key=lambda c: (list(ARCHITECTURES).index(c[0]), c[1])):
        seeds = sorted({s for (c, role, _, s) in by_key if c == cell and role == "adam"})
        per_seed = []
        for seed in seeds:
            pair = [by_key.get((cell, "adam", arm, seed)) for arm in ("spatial", "spectral")]
            if None in pair:
                continue
            spatial, spectral = pair[0]["record"], pair[1]["record"]
            result = pair_speedup(spatial, spectral)
            noise = standard_error(result["spatial_best"], pair[0]["run"]["test_images"])
            per_seed.append({"seed": seed, **result, "within_se": pair_speedup(spatial, spectral, noise)})
        ok = [s for s in per_seed if s["status"] == "ok"]
        ok_se = [s["within_se"] for s in per_seed if s["within_se"]["status"] == "ok"]
        rows.append({
            "architecture": cell[0], "kernel_size": cell[1], "seeds": per_seed,
            "best_error": {"spatial": summarize([s["spatial_best"] for s in per_seed]),
                           "spectral": summarize([s["spectral_best"] for s in per_seed])},
            "epochs": summarize([s["epochs"] for s in ok]) if ok else None,
            "seconds": summarize([s["seconds"] for s in ok]) if ok else None,
            "epochs_within_se": summarize([s["epochs"] for s in ok_se]) if ok_se else None,
        })
    return rows


def kernel_gap(run: dict, steps: int, data_dir=None) -> dict[str, list[float]]:
    """How far the two arms of ``run`` drift apart, against how far float round-off alone takes them.

    After each of ``steps`` training steps on the same batches, the l2 distance
    between two models' spatial kernels relative to the norm of the first,
    ``||W_b - W_a|| / ||W_a||`` over all convolutions together (the spectral
    arm's kernels are the inverse DFT of its coefficients). Not the largest
    entry: Adam's first steps are about ``lr * sign(g)``, so round-off flips
    the step of any weight whose gradient is near zero, and one flipped weight
    would dominate a max; the norm counts how many weights moved apart.

    - ``"spectral"``: the spectral arm against the spatial arm;
    - ``"round_off"``: a spatial copy started from the spectral arm's initial
      kernels (which differ from the spatial arm's by float32 round-off of the
      DFT) against the spatial arm: the drift that round-off alone produces.

    With plain SGD (with or without momentum) and the orthonormal parameterization the two arms
    take the same steps, so ``"spectral"`` follows ``"round_off"``; Adam's per-coordinate scaling is
    not invariant to the change of basis, so with Adam it is far above it (PAPER.md section 4).
    """
    x, y = runs.datasets(run, data_dir)["train"]
    mean, std = inputs.channel_stats(x)
    batches = inputs.training_batches(x, y, batch_size=run["batch_size"], seed=run["seed"],
                                      epochs=-(-steps * run["batch_size"] // len(x)), mean=mean, std=std,
                                      augmentation=run["augmentation"]).take(steps)
    spatial, spectral, copy = (runs.build_model({**run, "parameterization": p})
                               for p in ("spatial", "spectral", "spatial"))
    for a, b in zip(runs.convolutions(copy), runs.convolutions(spectral)):
        a.kernel.assign(b.kernel)

    def kernels(model):
        return [np.asarray(layer.kernel) for layer in runs.convolutions(model)]

    def gap(reference, other):
        distance = sum(float(np.sum((a - b) ** 2)) for a, b in zip(reference, other))
        return (distance / sum(float(np.sum(a**2)) for a in reference)) ** 0.5

    gaps = {"spectral": [], "round_off": []}
    for bx, by in batches:
        for model in (spatial, spectral, copy):
            model.train_on_batch(bx, by)
        reference = kernels(spatial)
        gaps["spectral"].append(gap(reference, kernels(spectral)))
        gaps["round_off"].append(gap(reference, kernels(copy)))
    return gaps


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default=profiles.REFERENCE, choices=profiles.NAMES)
    parser.add_argument("--data-dir", default=None, help="CIFAR folder (default: $SPECTRAL_CNN_DATA, else data/)")
    args = parser.parse_args(argv)
    entries = plan(args.profile)
    for i, entry in enumerate(entries, 1):
        label = f"[{i}/{len(entries)}] {runs.name(entry['run'])} ({entry['role']}, {entry['epochs']} epochs)"
        print(label, flush=True)
        record = runs.train(entry["run"], entry["epochs"], EXPERIMENT, args.profile, data_dir=args.data_dir,
                            snapshot_epochs=entry["snapshot_epochs"], verbose=2)
        h = record["history"]
        print(f"    best test error {min(h['test_error']):.3f}, {h['wall_seconds'][-1]:.0f} s", flush=True)


if __name__ == "__main__":
    main()
