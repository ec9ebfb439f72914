"""The experiment contract: a new experiment is picked up everywhere from the registry, results are
checked against their schema, and every verdict follows its evidence."""

import copy
import json
import subprocess
import sys

import nbformat
import numpy as np
import pytest

from spectral_lib import files
from spectral_lib.repro import (
    benchmarks,
    experiment,
    fig1,
    fig2,
    fig3,
    fig4a,
    fig5,
    paper,
    pipeline,
    profiles,
    report,
    results,
    run_settings,
    verdicts,
)


class Toy(experiment.Experiment):
    name = "99_toy"
    notebook = "99_toy_experiment"
    title = "Toy: a number above one half"
    paper_item = "Toy figure"
    fields = {"value": float, "seeds": list[float]}
    profiles = {"smoke": {"value": 0.25}, "cpu": {"value": 0.75}, "paper": {"value": 0.75}}

    def __init__(self, missing=None):
        self._missing = missing

    def missing(self, profile):
        return self._missing

    def verdicts(self, summary):
        high = all(v > 0.5 for v in summary["seeds"])
        return [
            verdicts.Verdict(
                "the value is above one half",
                verdicts.REPRODUCED if high else verdicts.INCONCLUSIVE,
                f"seeds {summary['seeds']}",
            )
        ]

    def readme_section(self, summary):
        return [] if summary is None else [f"The toy measured {summary['value']:.2f}."]

    def readme_choices(self):
        return [f"- **Toy threshold.** One half, against the value {self.config('cpu')['value']}."]


class ToyBenchmark(experiment.Benchmark):
    name = "benchmark_toy"
    title = "Speed of the toy"
    script = "benchmarks/toy.py"

    def readme_section(self, bench):
        return [] if bench is None else [f"`python {self.script}`: {bench['images_per_s']} img/s."]


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setattr(profiles, "project_root", lambda: tmp_path)
    yield tmp_path
    experiment.unregister(Toy.name)


def _toy_notebook(root):
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell('profile: str = "smoke"', metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell('print(f"profile: {profile}")'),
        ]
    )
    nb.metadata["kernelspec"] = pipeline.KERNELSPEC
    (root / "notebooks").mkdir()
    nbformat.write(nb, root / "notebooks" / f"{Toy.notebook}.ipynb")


def test_a_registered_toy_experiment_reaches_report_pipeline_and_readme(root):
    toy = experiment.register(Toy())
    assert [e.name for e in experiment.registered()][-1] == Toy.name  # after 07, in notebook order
    assert (toy.config("smoke"), toy.config("paper")) == ({"value": 0.25}, {"value": 0.75})
    assert "| `99_toy_experiment` | value 0.25 | value 0.75 | value 0.75 |" in report.profiles_block()
    assert "- **Toy threshold.** One half, against the value 0.75." in report.choices_block()
    with pytest.raises(ValueError, match="profile.*'fast'"):
        toy.config("fast")
    assert pipeline.notebooks(["99"]) == [root / "notebooks" / f"{Toy.notebook}.ipynb"]
    assert "| Toy figure | `99_toy_experiment` | - | not yet recorded |" in report.block()
    results.save(Toy.name, profiles.REFERENCE, {"value": 0.75, "seeds": [0.7, 0.8]})
    block = report.block()
    assert (
        "| Toy figure | `99_toy_experiment` | the value is above one half | **reproduced** | seeds [0.7, 0.8] |"
        in block
    )
    assert "### Toy: a number above one half\n\nThe toy measured 0.75." in block
    assert toy.judged(profiles.REFERENCE)[0].verdict == verdicts.REPRODUCED
    _toy_notebook(root)
    assert pipeline.run("smoke", only=["99"]) == []
    executed = nbformat.read(root / "runs" / "smoke" / "results" / "notebooks" / f"{Toy.notebook}.ipynb", as_version=4)
    assert executed.cells[-1].outputs[0]["text"] == "profile: smoke\n"


def test_an_experiment_must_state_all_its_profiles():
    class Partial(Toy):
        profiles = {"smoke": {"value": 0.25}, "cpu": {"value": 0.75}}

    with pytest.raises(ValueError, match=r"Partial.profiles must have the profiles \['smoke', 'cpu', 'paper'\]"):
        experiment.register(Partial())
    assert Toy.name not in [e.name for e in experiment.registered()]


def test_a_registered_benchmark_is_a_section_of_readme_after_the_experiments(root):
    experiment.register(ToyBenchmark())
    try:
        assert "Speed of the toy" not in report.block()  # not run: no section
        files.write_json(root / "results" / "benchmark_toy.json", {"images_per_s": 123})
        block = report.block()
        assert "### Speed of the toy\n\n`python benchmarks/toy.py`: 123 img/s." in block
        assert block.index("### Speed of the toy") > block.index("### Figure 4(b)")
    finally:
        experiment.unregister(ToyBenchmark.name)


def test_the_formulations_section_names_the_fastest_of_each_shape_by_its_own_numbers():
    rows = [
        {"jit_compile": False, "ratio_to_max_pool": {"fft": 1.0, "library": 0.9}},
        {"jit_compile": False, "ratio_to_max_pool": {"fft": 0.8, "library": 0.9}},
        {"jit_compile": True, "ratio_to_max_pool": {"fft": 0.2, "library": 0.1}},
    ]
    assert benchmarks.fastest(rows) == (
        "Fastest by this table: without XLA library in 1, fft in 1 of the 2 shapes; "
        "with XLA library in 1 of the 1 shapes."
    )


def test_notebook_times_name_the_machine_commit_and_load_of_each_notebook():
    on = {"machine": "cpu A", "commit": "abc1234", "load": 2.1}
    text = report.executed(
        {
            "01_x": {"seconds": 10.0, **on},
            "02_y": {"seconds": 90.0, **on, "machine": "cpu B", "load": 0.0},
            "03_z": {"seconds": 5.0, **on},
        }
    )
    assert (
        "on cpu A at abc1234: `01_x` 10 s (load 2.1), `03_z` 5 s (load 2.1); "
        "on cpu B at abc1234: `02_y` 1.5 min (load 0)" in text
    )


def test_the_registry_imports_only_the_modules_it_lists():
    code = (
        "import sys\nfrom spectral_lib.repro import experiment\nexperiment.sections()\n"
        "print(sorted(m for m in sys.modules if m.startswith('spectral_lib.repro.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    listed = {entry.split(":")[0] for entry in experiment.BUILTIN}
    assert (
        listed <= set(eval(out)) and "spectral_lib.repro.pipeline" not in out and "spectral_lib.repro.report" not in out
    )


def test_figure5_saves_its_snapshots_after_the_epochs_its_dependants_ask_for(monkeypatch):
    assert fig3.Figure3.requires == (fig5.EXPERIMENT,)
    assert fig5.snapshot_epochs("cpu") == (fig3.Figure3.config("cpu")["epoch"],) == (10,)
    monkeypatch.setitem(fig3.Figure3.profiles, "smoke", {"epoch": 3, "seeds": 1})
    saved = [e for e in fig5.plan("smoke") if e["snapshot_epochs"]]
    assert [(e["cell"], e["role"], e["run"]["seed"], e["snapshot_epochs"]) for e in saved] == [
        (("generic", 3), "adam", 0, (3,)),
        (("generic", 3), "adam", 0, (3,)),
    ]
    assert set(fig3.pair("smoke")) == {"spatial", "spectral"}
    # at the paper's scale, Figure 3 reads the pairs of its 3 seeds, each after the paper's ~3 900 Adam steps
    saved = [e for e in fig5.plan("paper") if e["snapshot_epochs"]]
    assert [(e["run"]["seed"], e["run"]["parameterization"], e["snapshot_epochs"]) for e in saved] == [
        (seed, arm, (10,)) for seed in range(3) for arm in ("spatial", "spectral")
    ]
    assert {e["cell"] for e in saved} == {("generic", 3)} and {e["role"] for e in saved} == {"adam"}
    assert [fig3.pair("paper", seed)["spectral"]["run"]["seed"] for seed in range(3)] == [0, 1, 2]
    assert fig3.adam_steps("smoke") == 3 * (32 // 16)  # Figure 5's smoke Generic cell: 32 images, batch 16


def test_a_notebook_whose_runs_are_missing_is_skipped_unless_asked_to_train(root, capsys):
    experiment.register(Toy(missing="2 of 3 runs are not recorded: `python -m toy` trains them"))
    _toy_notebook(root)
    skipped = pipeline.run("smoke", only=["99"])
    assert skipped == [f"{Toy.notebook}.ipynb: 2 of 3 runs are not recorded: `python -m toy` trains them"]
    assert not (root / "runs" / "smoke" / "results" / "notebooks").exists()
    assert "skipped" in capsys.readouterr().out
    assert pipeline.run("smoke", only=["99"], train=True) == []


def test_results_are_checked_against_the_schema_on_write_and_on_read(root):
    experiment.register(Toy())
    with pytest.raises(ValueError, match=r"missing \['seeds'\], unexpected \['seed'\]"):
        results.save(Toy.name, "smoke", {"value": 0.5, "seed": [1]})
    with pytest.raises(TypeError, match=r"results.save\('99_toy'\): value must be float or int, got str"):
        results.save(Toy.name, "smoke", {"value": "0.5", "seeds": []})
    with pytest.raises(TypeError, match=r": seeds must be list\[float\], got bool"):
        results.save(Toy.name, "smoke", {"value": 0.5, "seeds": True})
    with pytest.raises(TypeError, match=r": seeds\[1\] must be float or int, got str"):  # checked inside, too
        results.save(Toy.name, "smoke", {"value": 0.5, "seeds": [0.5, "0.6"]})
    path = results.save(Toy.name, "smoke", {"value": 1, "seeds": [0.6]})  # an int is a float
    record = results.load(Toy.name, "smoke")
    assert (record["value"], record["profile"], record.schema_version, record["experiment"]) == (
        1,
        "smoke",
        1,
        Toy.name,
    )
    payload = json.loads(path.read_text())
    renamed = {**{k: v for k, v in payload.items() if k != "seeds"}, "seed_values": [0.6]}
    path.write_text(json.dumps(renamed))
    with pytest.raises(ValueError, match=r"missing \['seeds'\], unexpected \['seed_values'\]"):
        results.load(Toy.name, "smoke")
    path.write_text(json.dumps({**payload, "seeds": [0.6, None]}))
    with pytest.raises(TypeError, match=r"seeds\[1\] must be float or int, got NoneType"):
        results.load(Toy.name, "smoke")
    path.write_text(json.dumps({k: v for k, v in payload.items() if k != "commit"}))
    with pytest.raises(ValueError, match=r"lacks \['commit'\]: .*\(`make figures PROFILE=smoke ONLY=99`\)"):
        results.load(Toy.name, "smoke")
    assert payload["commit"]  # the commit of this checkout
    path.write_text(json.dumps({**payload, "schema_version": 0}))
    with pytest.raises(
        ValueError, match="schema 0; this code reads '99_toy' schema 1: delete it and execute notebook 99_toy"
    ):
        results.load(Toy.name, "smoke")
    with pytest.raises(ValueError, match="registered experiment.*'98_none'"):
        results.save("98_none", "smoke", {})


def test_results_are_read_only_all_the_way_down(root):
    experiment.register(Toy())
    written = {"value": 0.75, "seeds": [0.7, 0.8]}
    path = results.save(Toy.name, "smoke", written)
    read = results.load(Toy.name, "smoke")
    changes = [
        lambda: read["seeds"].append(0.9),
        lambda: read["seeds"].__setitem__(0, 0.1),
        lambda: read["seeds"].__iadd__([0.9]),
        lambda: read["seeds"].sort(),
        lambda: read.summary.__setitem__("value", 0.0),
        lambda: read["versions"].__setitem__("numpy", "0"),
    ]
    for change in changes:
        with pytest.raises(TypeError, match="read-only"):
            change()
    with pytest.raises(AttributeError):  # the dataclass itself is frozen
        read.summary = {}
    # read-only, yet equal to what was written, and written back as the same JSON
    assert read["seeds"] == [0.7, 0.8] and read.summary == written
    assert read.to_json() == json.loads(path.read_text())
    nested = results.frozen({"rows": [{"errors": [0.1]}]})
    with pytest.raises(TypeError, match="read-only"):
        nested["rows"][0]["errors"].append(0.2)
    with pytest.raises(TypeError, match="read-only"):
        nested["rows"][0].update(errors=[])
    copied = copy.deepcopy(nested)  # a copy is read-only too, and equal
    assert copied == nested and isinstance(copied["rows"][0], results.ReadOnlyDict)
    assert json.loads(json.dumps(results.thawed(nested))) == {"rows": [{"errors": [0.1]}]}


def test_every_experiment_has_its_notebook_profiles_and_valid_committed_results():
    for exp in experiment.registered():
        assert exp.notebook_path().exists(), exp.notebook
        assert exp.notebook.startswith(exp.name[:3]) and all(exp.config(p) is not None for p in profiles.NAMES)
        results.load(exp.name, profiles.REFERENCE)  # checked against the schema when committed


def _seed(seed, epochs, within, status="ok", spatial_epoch=20, seconds=1.0, before=0.42):
    def reading(value, target):  # the spectral arm's steps take `seconds` times as long as the spatial arm's
        return {
            "status": status,
            "epochs": value,
            "spatial_best": 0.4,
            "target": target,
            "spatial_epoch": spatial_epoch,
            "spectral_epoch": 5,
            "seconds": None if value is None else value / seconds,
        }

    # spatial best 0.4, one standard error 0.016 above it; `before`: its best before the last fifth
    return {
        "seed": seed,
        **reading(epochs, 0.4),
        "within_se": reading(within, 0.416),
        "spatial_best_before_last_fifth": before,
    }


def _cell(*seeds):
    return {"architecture": "generic", "kernel_size": 5, "seeds": list(seeds)}


BUDGET = {"train_images": 2000, "epochs": 40, "seeds": 2}


def test_figure5_verdict_needs_every_seed_at_two_x_both_ways_and_a_settled_spatial_arm():
    one = fig5.cell_verdict(_cell(_seed(0, 3.7, 3.3)), BUDGET)
    assert one.verdict == verdicts.INCONCLUSIVE and one.evidence.startswith(
        "2000 training images, 40 epochs, one seed:"
    )
    assert fig5.cell_verdict(_cell(_seed(0, 1.0, 2.5)), BUDGET).verdict == verdicts.INCONCLUSIVE  # Deep 3x3's case
    two = fig5.cell_verdict(_cell(_seed(0, 4.3, 4.0), _seed(1, 7.25, 6.0)), BUDGET)
    assert two.verdict == verdicts.REPRODUCED and two.evidence.startswith("2000 training images, 40 epochs, 2 seeds")
    straddle = fig5.cell_verdict(_cell(_seed(0, 4.3, 1.8), _seed(1, 7.25, 6.0)), BUDGET)
    assert straddle.verdict == verdicts.INCONCLUSIVE and "both sides of 2x" in straddle.evidence
    assert fig5.cell_verdict(_cell(_seed(0, 1.2, 1.1), _seed(1, 1.5, 0.9)), BUDGET).verdict == verdicts.NOT_REPRODUCED
    short = _cell(_seed(0, None, None, "too short"), _seed(1, None, None, "too short"))
    assert fig5.cell_verdict(short, BUDGET).verdict == verdicts.NOT_TESTED
    # A spatial best in the last fifth (epoch 33 of 40) may still be improving, whatever the speed-up reads,
    # and the evidence says how much lower it is than the best before (0.409 - 0.4), beside one standard error.
    late = fig5.cell_verdict(_cell(_seed(0, 4.3, 4.0), _seed(1, 7.25, 6.0, spatial_epoch=33, before=0.409)), BUDGET)
    assert late.verdict == verdicts.NOT_TESTED
    assert "seed 1 at epoch 33, 0.009 below its best before, against one standard error of 0.016" in late.evidence
    assert "seed 0 at epoch" not in late.evidence
    settled = fig5.cell_verdict(_cell(_seed(0, 4.3, 4.0, spatial_epoch=32), _seed(1, 7.25, 6.0)), BUDGET)
    assert settled.verdict == verdicts.REPRODUCED  # epoch 32 of 40 is the end of the fourth fifth
    assert "paper 5.1x" in one.claim
    # In wall-clock time the same readings, over the spectral arm's slower steps.
    slow = _cell(_seed(0, 4.3, 4.0, seconds=2.5), _seed(1, 7.25, 6.0, seconds=2.5))
    assert fig5.cell_verdict(slow, BUDGET).verdict == verdicts.REPRODUCED
    in_time = fig5.cell_verdict(slow, BUDGET, "seconds")
    assert in_time.verdict == verdicts.INCONCLUSIVE and "sooner in wall-clock time" in in_time.claim
    assert fig5.cell_verdict(_cell(_seed(0, 4.3, 4.0), _seed(1, 7.25, 6.0)), BUDGET, "seconds").verdict == (
        verdicts.REPRODUCED
    )
    with pytest.raises(ValueError, match="measure"):
        fig5.cell_verdict(slow, BUDGET, "steps")


def _fig3(*gaps, first_moments=(0.4, 0.4)):
    """A Figure 3 summary of the paper profile with one seed per ``(before, after)`` gap of conv0's energy."""

    def arm(initial, trained, first_moment):
        return {
            "conv0": {
                "initial_energy": initial,
                "trained_energy": trained,
                "first_moment": first_moment,
                "second_moment": 0.1,
            }
        }

    spatial, spectral = first_moments
    return {
        "profile": "paper",
        "config": {"epoch": 10},
        "share": 0.9,
        "concentration": {
            str(seed): {"spatial": arm(0.54, 0.54, spatial), "spectral": arm(0.54 - before, 0.54 - after, spectral)}
            for seed, (before, after) in enumerate(gaps)
        },
    }


def test_figure3_with_one_seed_is_inconclusive_short_of_the_papers_steps_untested_and_says_the_gaps():
    assert fig3.adam_steps("cpu") == 10 * (2000 // 64) == 310 and fig3.adam_steps("paper") == 3900
    judged = fig3.judge(_fig3((0.075, 0.2)))
    assert [v.verdict for v in judged] == [verdicts.INCONCLUSIVE] * 2
    assert "a gap of +20.0 points against +7.5 at initialization (+12.5)" in judged[0].evidence
    assert "one seed, no spread over seeds" in judged[0].evidence
    short = fig3.judge({**_fig3((0.075, 0.2)), "profile": "cpu"})
    assert [v.verdict for v in short] == [verdicts.NOT_TESTED] * 2 and "310 Adam steps" in short[0].evidence
    assert short[0].evidence.endswith("; it points toward the claim")
    assert short[1].evidence.endswith("; it points against the claim")  # |m| on 40 % of both: not fewer


def test_figure3_over_seeds_judges_the_mean_change_of_the_gap_against_its_spread():
    # Hand-computed: changes of the gap +3, +4, +5 points: mean 4, sd 1, se 1 / sqrt(3) = 0.577; 4 > 2 se.
    grown = fig3.judge(_fig3((0.05, 0.08), (0.05, 0.09), (0.05, 0.10), first_moments=(0.5, 0.3)))
    assert [v.verdict for v in grown] == [verdicts.REPRODUCED] * 2
    assert "mean +4.00 +- 0.58 points over 3 seeds" in grown[0].evidence and "seed 2:" in grown[0].evidence
    # +3, -1, +5: mean 2.33, sd 3.06, se 1.76; 2.33 < 2 se: inconclusive. -3, -4, -5: the other way.
    mixed = fig3.judge(_fig3((0.05, 0.08), (0.05, 0.04), (0.05, 0.10)))
    assert mixed[0].verdict == verdicts.INCONCLUSIVE and "mean +2.33 +- 1.76 points" in mixed[0].evidence
    shrunk = fig3.judge(_fig3((0.05, 0.02), (0.05, 0.01), (0.05, 0.0), first_moments=(0.3, 0.5)))
    assert [v.verdict for v in shrunk] == [verdicts.NOT_REPRODUCED] * 2


def test_figure3s_summary_over_seeds_is_a_valid_results_file_judged_seed_by_seed():
    rng = np.random.default_rng(0)

    def state(scale):  # one convolution: parameters, Adam's moments (v is non-negative)
        params, m = scale * rng.standard_normal((2, 27))
        return {"conv0/params": params, "conv0/m": m, "conv0/v": m**2}

    pairs = {seed: fig3.pair("paper", seed) for seed in (0, 1)}
    trained = {seed: {"spatial": state(1.0), "spectral": state(2.0)} for seed in pairs}
    initial = {seed: {"spatial": state(1.0), "spectral": state(1.0)} for seed in pairs}
    summary = json.loads(json.dumps(fig3.summary({"epoch": 10, "seeds": 2}, pairs, trained, initial)))
    results.check(fig3.Figure3(), summary, "test")
    assert summary["runs"]["1"]["spectral"] == run_settings.name(pairs[1]["spectral"]["run"])
    judged = fig3.judge({**summary, "profile": "paper"})
    assert len(judged) == 2 and all("2 seeds" in v.evidence and "seed 1:" in v.evidence for v in judged)


def test_figure1_and_4a_verdicts_turn_on_one_wrong_entry():
    sym = {size: {"real_entries": [list(e) for e in paper.real_only_entries(size)]} for size in ("7x7", "8x8", "7x8")}
    good = {"symmetry": sym, "camera_energy_share_within_16_cycles": 0.9, "basis_orthonormal": True}
    assert fig1.judge(good)[0].verdict == verdicts.REPRODUCED
    sym["8x8"]["real_entries"] = sym["8x8"]["real_entries"][:3]  # (4, 4) lost: the corner trap
    assert fig1.judge(good)[0].verdict == verdicts.NOT_REPRODUCED
    rows = [
        {"fraction": 0.25, "spectral": 0.1, "avg": 0.12, "max": 0.2},
        {"fraction": 1 / 16, "spectral": 0.3, "avg": 0.25, "max": 0.29},
    ]
    judged = fig4a.judge({"at_block_fractions": {"photographs": rows}, "images": {"photographs": 14}})
    assert judged[0].verdict == verdicts.NOT_REPRODUCED and "below max pooling's at 1 of 2" in judged[0].evidence


def test_figure2_verdict_turns_on_one_reduction_where_spectral_is_not_lower():
    errors = {"camera": {"max": [0.1, 0.2, 0.3], "spectral": [0.05, 0.1, 0.2]}}
    good = {"image_size": 256, "reductions": [4, 16, 256], "relative_l2_error": errors}
    judged = fig2.judge(good)[0]
    assert judged.verdict == verdicts.REPRODUCED and "camera at 1/256 of the values: 0.200 spectral vs 0.300 max" in (
        judged.evidence
    )
    errors["camera"]["spectral"][1] = 0.2  # a tie at 1/16 is not lower
    assert fig2.judge(good)[0].verdict == verdicts.NOT_REPRODUCED


def test_figure_4a_stores_its_errors_at_the_stated_precision():
    losses = {"spectral": {0.25: [0.1234567891, 0.2]}, "max": {0.25: [0.3]}, "avg": {0.25: [0.2]}}
    assert fig4a.curves(losses)["spectral"]["mean"] == [0.161728]
    assert fig4a.at_block_fractions(fig4a.curves(losses)) == [
        {"fraction": 0.25, "spectral": 0.161728, "avg": 0.2, "max": 0.3}
    ]
