"""Profiles, where runs write, atomic results files, reproducible figures, pipeline failures."""

import ast
import hashlib
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pytest  # noqa: E402

from spectral_lib import files  # noqa: E402
from spectral_lib.repro import (  # noqa: E402
    experiment,
    figures,
    pipeline,
    profiles,
    results,
    run_settings,
    store,
    table4b,
)


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setattr(profiles, "project_root", lambda: tmp_path)
    return tmp_path


def test_unknown_profile_or_experiment_is_an_error():
    with pytest.raises(ValueError, match="profile.*'fast'"):
        experiment.get("03_fig4a").config("fast")
    with pytest.raises(ValueError, match="registered experiment.*'99_x'"):
        experiment.get("99_x")


def test_only_the_reference_profile_writes_the_committed_folders(root):
    assert profiles.output_root(profiles.REFERENCE) == root
    assert profiles.output_root("smoke") == root / "runs" / "smoke"
    path = results.save("02_fig2", "smoke", {"image_size": 8, "reductions": [4], "relative_l2_error": {}})
    assert path == root / "runs" / "smoke" / "results" / "02_fig2.json"
    assert not (root / "results").exists()
    record = json.loads(path.read_text())
    assert record["profile"] == "smoke" and record["image_size"] == 8 and "tensorflow" in record["versions"]


def test_run_records_are_committed_for_every_profile_but_smoke(root):
    generic = run_settings.settings(train_images=100)
    smoke = root / "runs" / "smoke" / "results" / "runs" / "04_fig5"
    assert store.record_path(generic, "04_fig5", "smoke").parent == smoke
    for profile in ("cpu", "paper"):
        assert store.record_path(generic, "04_fig5", profile) == root / "results" / "runs" / "04_fig5" / (
            run_settings.name(generic) + ".json"
        )
        assert store.progress_path(generic, "04_fig5", profile).parent == root / "results" / "runs" / "04_fig5"
    assert profiles.output_root("paper") == root / "runs" / "paper"  # its summaries, figures and notebooks
    # Figure 4(b)'s paper profile trains the cpu profile's runs: it finds their records and their models
    assert {table4b.export_path(p, "cifar10") for p in ("cpu", "paper")} == {
        root / "results" / "models" / "cifar10_spectral_pooling_net.keras"
    }


def test_results_are_written_atomically(tmp_path):
    path = tmp_path / "r.json"
    files.write_json(path, {"a": 1})
    with pytest.raises(TypeError):
        files.write_json(path, {"a": object()})  # fails half-way through serializing
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_a_writer_killed_half_way_leaves_the_old_file_whole_and_no_temporary(tmp_path):
    path = tmp_path / "model.keras"
    files.write_text(path, "old")
    with pytest.raises(KeyboardInterrupt), files.replaced(path) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".keras"  # savers pick their format by suffix
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["model.keras"]
    with files.replaced(path) as tmp:
        tmp.write_text("new")
    assert path.read_text() == "new" and path.stat().st_mode & 0o777 == 0o644


def test_figures_are_png_and_pdf_and_reproducible(root):
    digests = []
    for _ in range(2):
        fig, ax = plt.subplots()
        ax.plot([0, 1], [1, 0])
        paths = figures.save(fig, "99_test", "smoke")
        plt.close(fig)
        digests.append([hashlib.md5(p.read_bytes()).hexdigest() for p in paths])
    assert [p.name for p in paths] == ["99_test.png", "99_test.pdf"]
    assert paths[0].parent == root / "runs" / "smoke" / "figures"
    assert digests[0] == digests[1]


def test_failed_notebook_names_the_notebook_and_cell(tmp_path):
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("x = 1"),
            nbformat.v4.new_code_cell("raise RuntimeError('broken on purpose')"),
        ]
    )
    nb.metadata["kernelspec"] = pipeline.KERNELSPEC
    source = tmp_path / "99_broken.ipynb"
    nbformat.write(nb, source)
    with pytest.raises(SystemExit, match=r"FAILED: 99_broken.ipynb, cell 1 .*RuntimeError: broken on purpose"):
        pipeline.execute(source, tmp_path / "out" / "99_broken.ipynb", {})
    assert (tmp_path / "out" / "99_broken.ipynb").exists()  # kept, with the traceback


def test_unknown_notebook_parameter_is_an_error():
    notebook = pipeline.notebooks(["03"])[0]
    with pytest.raises(SystemExit, match="unknown parameter 'epochs' for 03_fig4a.*profile, data_dir"):
        pipeline._parameters(["epochs=3"], notebook)
    assert pipeline._parameters(["data_dir=/tmp/cifar"], notebook) == {"data_dir": "/tmp/cifar"}


def test_clean_drops_metadata_and_tensorflow_logs_only():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    cell = nb.cells[0]
    cell.metadata.update({"papermill": {"duration": 1.0}, "tags": ["x"]})
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="I0000 00:00:17.1 123 port.cc:153] oneDNN\n"),
        nbformat.v4.new_output("stream", name="stderr", text="UserWarning: real warning\n"),
        nbformat.v4.new_output("stream", name="stdout", text="1\n"),
    ]
    nb.metadata["papermill"] = {"parameters": {}}
    cleaned = pipeline.clean(nb)
    assert set(cleaned.metadata) == {"kernelspec", "language_info"}
    assert cleaned.cells[0].metadata == {"tags": ["x"]}
    assert [o.text for o in cleaned.cells[0].outputs] == ["UserWarning: real warning\n", "1\n"]


# Calls that write a file, by the name of the function or method; `files` and `results` are the atomic path.
WRITERS = {"write_text", "write_bytes", "savefig", "savez", "savez_compressed", "save", "save_weights", "dump"}
# The one file written as it goes, on purpose: the notebook kernel's stderr log.
STREAMED = {("spectral_lib/repro/pipeline.py", "_stderr_to")}


def _unguarded_writes(source: str, name: str) -> list[str]:
    """Each call in ``source`` (module ``name``) that writes a file other than the temporary ``tmp`` of
    ``files.replaced``."""
    found = []

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
            if isinstance(child, ast.Call):
                func, first = child.func, child.args[0] if child.args else None
                on_tmp = isinstance(first, ast.Name) and first.id == "tmp"
                if isinstance(func, ast.Attribute):
                    receiver = func.value.id if isinstance(func.value, ast.Name) else None
                    writes = func.attr in WRITERS or (func.attr == "write" and receiver == "nbformat")
                    if writes and receiver not in ("files", "results", "tmp") and not on_tmp:
                        found.append(f"{name}:{child.lineno} {ast.unparse(func)}")
                elif isinstance(func, ast.Name) and func.id == "open" and not on_tmp:
                    mode = child.args[1] if len(child.args) > 1 else None
                    text = mode.value if isinstance(mode, ast.Constant) else ""
                    if any(c in str(text) for c in "wax") and (name, function) not in STREAMED:
                        found.append(f"{name}:{child.lineno} open(..., {text!r})")
            visit(child, inner)

    visit(ast.parse(source), None)
    return found


def test_every_writer_of_results_records_progress_figures_and_readme_goes_through_the_atomic_path():
    root = Path(__file__).resolve().parent.parent
    modules = sorted((root / "spectral_lib").rglob("*.py"))
    found = [hit for m in modules for hit in _unguarded_writes(m.read_text(), m.relative_to(root).as_posix())]
    assert not found, f"write through spectral_lib.files.replaced (or write_text, write_json): {found}"


def test_the_check_of_writers_finds_a_direct_write():
    source = (
        "def f(path, tmp, fig):\n    path.write_text('x')\n    fig.savefig(tmp)\n    open(path, 'w')\n"
        "    nbformat.write(nb, path)\n    open(path)\n    with replaced(path) as tmp:\n        tmp.write_text('y')\n"
    )
    assert _unguarded_writes(source, "m.py") == [
        "m.py:2 path.write_text",
        "m.py:4 open(..., 'w')",
        "m.py:5 nbformat.write",
    ]
