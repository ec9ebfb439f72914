"""Figure 4(b): CIFAR-10 and CIFAR-100 test error of the spectral-pooling network, and what each part buys.

Three variants of the network of PAPER.md section 6, on one harness and one
budget, each on CIFAR-10 and on CIFAR-100 (fine labels):

- ``spectral_pooling``: spectral pooling with frequency dropout (the paper's);
- ``no_frequency_dropout``: the same network without frequency dropout;
- ``max_pooling``: 3x3 stride-2 max pooling in place of every spectral pooling,
  same depth and widths, no frequency dropout.

Training as in the paper: SGD with momentum, the learning rate divided by 10
at 2/3 and 14/15 of the epochs (:func:`search.paper_drops`), weight decay, no
dropout, no augmentation; the last ``validation_images`` of the training set
held out and evaluated every epoch, the test set once at the end.
Hyperparameters: the paper's stated optimum (gamma, alpha, beta, momentum,
learning rate) and, for what it does not state (M and weight decay), the best
trial of the search (:mod:`search`), M capped at the profile's ``max_layers``.

``python -m spectral_lib.repro.table --profile cpu`` trains every run of the
profile (reusing finished runs, resuming an interrupted one).
"""

from __future__ import annotations

import argparse

import numpy as np

from spectral_lib.repro import profiles, runs, search

EXPERIMENT = "07_table4b"
DATASETS = {"cifar10": "CIFAR-10", "cifar100": "CIFAR-100"}
VARIANTS = {
    "spectral_pooling": "Spectral pooling with frequency dropout",
    "no_frequency_dropout": "Spectral pooling, no frequency dropout",
    "max_pooling": "Max pooling (3x3, stride 2), same depth and widths",
}
# Figure 4(b) as published, test error in % without augmentation (PAPER.md section 5).
PUBLISHED = [
    ("Stochastic pooling", 15.13, 42.51),
    ("Maxout", 11.68, 38.57),
    ("Network-in-network", 10.41, 35.68),
    ("Deeply supervised nets", 9.78, 34.57),
    ("Spectral pooling", 8.6, 31.6),
]
REFERENCE_CHECK_IMAGES = 1000  # the exported model's error on the first test images, checked by the tests


def hyperparameters(profile: str, data_dir=None) -> dict:
    """The paper's stated optimum, with M and weight decay from the best trial of the search of ``profile``
    (run or reused by :func:`search.search`), M capped at the profile's ``max_layers``."""
    best = search.search(profile, data_dir=data_dir)["best"]
    if best is None:
        raise RuntimeError(f"the {profile!r} search has no complete trial to take M and weight decay from.")
    cap = profiles.get(EXPERIMENT, profile)["max_layers"]
    return {**{k: search.PAPER[k] for k in ("gamma", "alpha", "beta", "momentum", "learning_rate")},
            "num_layers": min(best["params"]["num_layers"], cap), "weight_decay": best["params"]["weight_decay"],
            "search_trial": best["number"]}


def export_path(profile: str):
    """Where the CIFAR-10 spectral-pooling model is saved for anyone to evaluate."""
    return profiles.output_root(profile) / "results" / "models" / "cifar10_spectral_pooling_net.keras"


def plan(profile: str, hyper: dict) -> list[dict]:
    """Every run of the table under ``profile``, CIFAR-10 first: ``dataset``, ``variant``, ``run``,
    ``epochs`` and ``export`` (the ``.keras`` path of the CIFAR-10 spectral-pooling run, else ``None``)."""
    config = profiles.get(EXPERIMENT, profile)
    entries = []
    for dataset in DATASETS:
        for variant in VARIANTS:
            dropout = {"alpha": hyper["alpha"], "beta": hyper["beta"]} if variant == "spectral_pooling" \
                else {"alpha": None, "beta": None}
            run = runs.settings(
                dataset=dataset, architecture="spectral_pooling", num_layers=hyper["num_layers"],
                gamma=hyper["gamma"], pooling="max" if variant == "max_pooling" else "spectral", **dropout,
                optimizer="sgd", learning_rate=hyper["learning_rate"], momentum=hyper["momentum"],
                weight_decay=hyper["weight_decay"], learning_rate_drops=search.paper_drops(config["epochs"]),
                batch_size=config["batch_size"], augmentation=False, train_images=config["train_images"],
                validation_images=config["validation_images"], test_images=config["test_images"], seed=0,
            )
            export = export_path(profile) if (dataset, variant) == ("cifar10", "spectral_pooling") else None
            entries.append({"dataset": dataset, "variant": variant, "run": run, "epochs": config["epochs"],
                            "export": export})
    return entries


def train_all(profile: str, entries: list[dict], data_dir=None, verbose=0) -> list[dict]:
    """Train (or reuse) every entry of :func:`plan`; returns the entries with their ``record``."""
    out = []
    for i, entry in enumerate(entries, 1):
        print(f"[{i}/{len(entries)}] {runs.name(entry['run'])} ({entry['epochs']} epochs)", flush=True)
        record = runs.train(entry["run"], entry["epochs"], EXPERIMENT, profile, data_dir=data_dir,
                            export=entry["export"], verbose=verbose)
        print(f"    test error {record['final_test']['error']:.4f}, {record['history']['wall_seconds'][-1] / 60:.1f} min",
              flush=True)
        out.append({**entry, "record": record})
    return out


def model_error(model, images: np.ndarray, labels: np.ndarray) -> float:
    """Error of a model of raw images (uint8 arrays as float32, 0-255) on ``images``."""
    logits = model.predict(images.astype("float32"), batch_size=500, verbose=0)
    return float(np.mean(np.argmax(logits, axis=1) != labels))


def rows(trained: list[dict]) -> list[dict]:
    """One row per dataset and variant: final test error, best validation error, epochs, images, time."""
    out = []
    for entry in trained:
        record, run = entry["record"], entry["run"]
        out.append({
            "dataset": entry["dataset"], "variant": entry["variant"], "name": record["name"],
            "test_error": record["final_test"]["error"], "test_images": run["test_images"],
            "best_validation_error": min(record["history"]["validation_error"]),
            "epochs": record["epochs"], "train_images": run["train_images"],
            "minutes": record["history"]["wall_seconds"][-1] / 60,
        })
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default=profiles.REFERENCE, choices=profiles.NAMES)
    parser.add_argument("--data-dir", default=None, help="CIFAR folder (default: $SPECTRAL_CNN_DATA, else data/)")
    args = parser.parse_args(argv)
    hyper = hyperparameters(args.profile, args.data_dir)
    print(f"hyperparameters: {hyper}", flush=True)
    train_all(args.profile, plan(args.profile, hyper), args.data_dir, verbose=2)


if __name__ == "__main__":
    main()
