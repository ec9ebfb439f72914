"""The committed notebooks are clean smoke-profile runs; README numbers come from results/."""

import ast
import copy
import importlib
import json
from pathlib import Path

import nbformat
import pytest

from spectral_lib.repro import experiment, pipeline, profiles, report

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = pipeline.notebooks()  # the registered experiments'


def test_every_notebook_belongs_to_a_registered_experiment():
    assert sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")) == NOTEBOOKS


def _summary_calls(tree: ast.AST) -> dict[str, ast.Call]:
    """The names a notebook assigns from a ``<module>.summary(...)`` call."""
    return {
        target.id: node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and node.value.func.attr == "summary"
        for target in node.targets
        if isinstance(target, ast.Name)
    }


@pytest.mark.parametrize("exp", experiment.registered(), ids=lambda e: e.name)
def test_no_notebook_defines_a_results_format(exp):
    """A notebook saves the summary its experiment's module builds (``<module>.summary(...)``), never a
    dict of its own: the module owns the fields its schema checks."""
    nb = nbformat.read(exp.notebook_path(), as_version=4)
    tree = ast.parse("\n".join(c.source for c in nb.cells if c.cell_type == "code"))
    saves = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and ast.unparse(n.func) == "results.save"]
    built = _summary_calls(tree)
    module = importlib.import_module(type(exp).__module__)
    for call in saves:
        value = call.args[2]
        if isinstance(value, ast.Name):
            assert value.id in built, f"{exp.notebook} saves {value.id}, which no `<module>.summary(...)` built"
            value = built[value.id]
        assert isinstance(value, ast.Call) and ast.unparse(value.func) == f"{module.__name__.split('.')[-1]}.summary", (
            f"{exp.notebook} saves {ast.unparse(value)[:60]} instead of its module's summary(...)"
        )
    assert saves or exp.name == "06_search", f"{exp.notebook} saves no results"  # 06's search saves its own


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_is_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert pipeline.clean(copy.deepcopy(nb)) == nb, f"{path.name} has stray metadata: run `make notebooks`"
    tags = [cell.metadata.get("tags", []) for cell in nb.cells]
    assert sum("parameters" in t for t in tags) == 1
    assert not any("injected-parameters" in t for t in tags), "papermill parameters were injected"
    params = next(c for c, t in zip(nb.cells, tags) if "parameters" in t)
    assert 'profile: str = "smoke"' in params.source
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1)), "not one clean top-to-bottom run"
    outputs = [o for cell in code for o in cell.outputs]
    assert not any(o.output_type == "error" for o in outputs)
    text = "".join(o.get("text", "") for o in outputs)
    assert "profile: smoke," in text and "profile: cpu" not in text and "profile: paper" not in text
    assert "arXiv:1506.03767" in nb.cells[0].source
    assert any(c.cell_type == "markdown" and "Comparison with the paper" in c.source for c in nb.cells[-3:])


def test_readme_and_report_match_results_files():
    readme = (ROOT / "README.md").read_text()
    for start, end, build in report.BLOCKS:
        assert report.readme_block(readme, start, end) == build(), "stale: run `python -m spectral_lib.repro.report`"
    assert (ROOT / report.REPORT).read_text() == report.report_text(), (
        "stale: run `python -m spectral_lib.repro.report`"
    )
    cards = report.model_cards_text()
    assert cards is None or (ROOT / report.MODEL_CARDS).read_text() == cards, "stale model cards"


def test_committed_results_are_from_the_reference_profile():
    files = sorted((ROOT / "results").glob("0*.json"))
    assert files, "no committed results"
    for path in files:
        assert json.loads(path.read_text())["profile"] == profiles.REFERENCE, path.name
