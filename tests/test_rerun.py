"""What `make figures` keeps identical when it runs again from the committed records: every number of the
results files computed from recorded runs. Only the provenance (the commit, machine and versions that
wrote a file) and the pipeline's timings change."""

import json

from spectral_lib.repro import experiment, fig5, results, store, table4b

PROFILE = "cpu"


def _committed(name: str) -> dict:
    """The summary of the committed results file of ``name``: all of it but its provenance."""
    return results.thawed(results.load(name, PROFILE).summary)


def _as_written(summary: dict) -> dict:
    return json.loads(json.dumps(summary))


def test_figure_5s_results_are_computed_again_from_its_committed_records_alone():
    plan = [{**e, "record": store.load(e["run"], e["epochs"], fig5.EXPERIMENT, PROFILE)} for e in fig5.plan(PROFILE)]
    assert all(e["record"] is not None for e in plan), "a run of Figure 5's plan has no committed record"
    config = experiment.get(fig5.EXPERIMENT).config(PROFILE)
    summary = fig5.summary(config, plan, fig5.recorded_kernel_gaps(PROFILE))
    assert _as_written(summary) == _committed(fig5.EXPERIMENT)


def test_figure_4bs_results_are_computed_again_from_its_committed_records_and_progress():
    committed = _committed(table4b.EXPERIMENT)
    # the reference models' evaluation: test_table4b checks it against the models themselves
    summary = table4b.summary(PROFILE, table4b.collect(PROFILE), committed["reference_models"])
    assert _as_written(summary) == committed, (
        "results/07_table4b.json does not follow from the committed records and progress files: "
        "`make figures ONLY=07` writes it again"
    )
