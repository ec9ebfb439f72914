"""Figure 4(b)'s table: the planned runs, the exported model of raw images, and the committed reference model."""

from pathlib import Path

import keras
import numpy as np
import pytest

import spectral_lib  # noqa: F401  (registers the spectral layers for loading)
from spectral_lib import data, inputs, models
from spectral_lib.repro import profiles, runs, search, table
from spectral_lib.repro.results import read_json

ROOT = Path(__file__).resolve().parent.parent
HYPER = {**{k: search.PAPER[k] for k in ("gamma", "alpha", "beta", "momentum", "learning_rate")},
         "num_layers": 3, "weight_decay": 5e-4, "search_trial": 0}


def test_the_plan_trains_every_variant_on_both_datasets_with_the_paper_s_schedule():
    entries = table.plan("cpu", HYPER)
    config = profiles.get(table.EXPERIMENT, "cpu")
    assert [(e["dataset"], e["variant"]) for e in entries] == [(d, v) for d in table.DATASETS for v in table.VARIANTS]
    for e in entries:
        run = e["run"]
        assert run["optimizer"] == "sgd" and run["momentum"] == 0.95 and run["learning_rate"] == 0.0088
        assert not run["augmentation"] and run["weight_decay"] == 5e-4 and run["num_layers"] == 3
        assert run["learning_rate_drops"] == search.paper_drops(config["epochs"])
        assert run["validation_images"] > 0 and run["test_images"] == config["test_images"]
        assert run["dataset"] == e["dataset"]
        fd = e["variant"] == "spectral_pooling"
        assert (run["alpha"], run["beta"]) == ((0.30, 0.15) if fd else (None, None))
        assert run["pooling"] == ("max" if e["variant"] == "max_pooling" else "spectral")
        assert (e["export"] is not None) == ((e["dataset"], e["variant"]) == ("cifar10", "spectral_pooling"))
    assert len({runs.name(e["run"]) for e in entries}) == len(entries)
    assert runs.name(entries[3]["run"]).startswith("cifar100-") and "-maxpool-" in runs.name(entries[2]["run"])
    assert "-nofd-" in runs.name(entries[1]["run"]) and "-nofd-" not in runs.name(entries[0]["run"])


def test_the_exported_model_takes_raw_images_and_survives_a_reload(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (8, 32, 32, 3), dtype=np.uint8)
    mean, std = inputs.channel_stats(images)
    net = models.spectral_pooling_net(num_layers=2, alpha=0.3, beta=0.15)
    expected = net(inputs.standardize(images, mean, std), training=False).numpy()
    path = runs.save_model(runs.with_preprocessing(net, mean, std), tmp_path / "model.keras")
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(images.astype("float32"), verbose=0), expected, rtol=1e-4, atol=1e-5)
    assert not list(tmp_path.glob(".*tmp*"))  # written atomically


REFERENCE = ROOT / "results" / f"{table.EXPERIMENT}.json"


@pytest.mark.skipif(not REFERENCE.exists(), reason="the cpu profile of 07 has not been run yet")
def test_the_committed_reference_model_gives_its_recorded_test_error():
    reference = read_json(REFERENCE)["reference_model"]
    path = ROOT / reference["path"]
    assert path.stat().st_size < 5 * 2**20
    model = keras.saving.load_model(path)
    cifar = data.load_cifar10()
    n = reference["check_images"]
    error = table.model_error(model, cifar.test.x[:n], cifar.test.y[:n])
    assert abs(error - reference["check_error"]) <= 1 / n  # at most one image flips on another machine's float order
