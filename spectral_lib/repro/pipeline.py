"""Run every notebook in order with papermill: ``python -m spectral_lib.repro.pipeline``.

The notebooks are those of the registered experiments (:mod:`spectral_lib.repro.experiment`).
One whose runs are not all recorded is skipped, with the command that trains them, unless
``--train`` is given, which trains every run of a notebook's plan before executing it: regenerating
the figures never starts hours of training unasked.
Each notebook is executed with ``profile=<profile>``; the
executed copy goes to ``<output root>/results/notebooks/``, figures to
``<output root>/figures/`` and numbers to ``<output root>/results/``, where the
output root is the repository for the reference profile and
``runs/<profile>/`` otherwise (:func:`profiles.output_root`). The time each
notebook took is recorded in ``results/pipeline_<profile>.json`` and, after a
reference run, the README's results section is rewritten from the results
files.

``--refresh-sources`` re-executes the source notebooks with their default
(smoke) parameters and writes them back cleaned: this is how the committed
notebooks in ``notebooks/`` get their outputs, the same ones nbval compares.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from spectral_lib.files import read_json, write_json, write_text
from spectral_lib.repro import experiment, profiles, report
from spectral_lib.repro.quiet import quiet
from spectral_lib.repro.store import code_version
from spectral_lib.utils import machine

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def experiments(only: list[str] | None = None) -> list[experiment.Experiment]:
    """The registered experiments in reading order, or those whose notebook starts with one of ``only``."""
    found = experiment.registered()
    if only:
        unknown = [o for o in only if not any(e.notebook.startswith(o) for e in found)]
        if unknown:
            raise SystemExit(f"--only {unknown}: no such notebook in {[e.notebook for e in found]}")
        found = [e for e in found if any(e.notebook.startswith(o) for o in only)]
    return found


def notebooks(only: list[str] | None = None) -> list[Path]:
    """The notebooks of :func:`experiments`."""
    return [e.notebook_path() for e in experiments(only)]


# TensorFlow's C++ start-up log (absl format: time stamp, thread id), printed before
# any Python setting can silence it.
_TF_LOG = re.compile(r"^(WARNING: All log messages before absl|[IWEF]\d{4} \d\d:\d\d:\d\d)")


def _is_tf_log(output) -> bool:
    lines = "".join(output.get("text", "")).splitlines()
    return output.get("name") == "stderr" and bool(lines) and all(_TF_LOG.match(line) for line in lines)


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Keep sources, outputs, execution counts and cell tags; drop every other
    metadata and TensorFlow's C++ start-up log lines; number the cell ids."""
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:02d}"
        tags = cell.metadata.get("tags", [])
        cell.metadata = nbformat.from_dict({"tags": tags} if tags else {})
        if "outputs" in cell:
            cell.outputs = [o for o in cell.outputs if not _is_tf_log(o)]
            for output in cell.outputs:
                output.pop("transient", None)
    return nb


def _parameters(values: list[str], notebook: Path) -> dict:
    """``name=value`` pairs, each checked against the notebook's ``parameters`` cell."""
    import papermill

    known = papermill.inspect_notebook(str(notebook))
    parsed = {}
    for item in values:
        name, _, raw = item.partition("=")
        if name not in known:
            raise SystemExit(f"unknown parameter {name!r} for {notebook.name}; it takes: {', '.join(known)}")
        try:
            parsed[name] = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            parsed[name] = raw
    return parsed


@contextlib.contextmanager
def _stderr_to(path: Path):
    """Point file descriptor 2 at ``path`` while the block runs: the kernel inherits it, so
    TensorFlow's C++ start-up lines and Jupyter's transport warning go there, not to the terminal."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "w") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def execute(notebook: Path, output: Path, parameters: dict, log: Path | None = None) -> float:
    """Run one notebook with papermill in ``notebooks/``; the seconds it took.

    The kernel's own stderr goes to ``log`` (default: beside ``output``); the
    notebook's outputs are in ``output`` as usual.
    """
    import papermill

    output.parent.mkdir(parents=True, exist_ok=True)
    log = log or output.with_suffix(".stderr.log")
    start = time.perf_counter()
    try:
        with _stderr_to(log):
            papermill.execute_notebook(
                str(notebook),
                str(output),
                parameters=parameters,
                cwd=str(notebook.parent),
                kernel_name="python3",
                progress_bar={"file": sys.stdout},
            )
    except papermill.PapermillExecutionError as err:
        raise SystemExit(
            f"\nFAILED: {notebook.name}, cell {err.cell_index} (execution count {err.exec_count}): "
            f"{err.ename}: {err.evalue}\nThe executed notebook with the full traceback: "
            f"{profiles.relative(output)}\nThe kernel's log: {profiles.relative(log)}"
        ) from None
    return time.perf_counter() - start


def _write(nb: nbformat.NotebookNode, path: Path) -> None:
    """``nbformat.write``'s text, written atomically (:func:`spectral_lib.files.write_text`)."""
    text = nbformat.writes(nb)
    write_text(path, text if text.endswith("\n") else text + "\n")


def run(profile: str, only=None, params=(), refresh_sources=False, train=False) -> list[str]:
    """Execute the notebooks; returns why each skipped one was skipped."""
    root = profiles.output_root(profile)
    selected = experiments(only)
    timings_path = root / "results" / f"pipeline_{profile}.json"
    timings = read_json(timings_path) if timings_path.exists() else {"notebooks": {}}
    skipped = []
    for i, exp in enumerate(selected, 1):
        notebook = exp.notebook_path()
        print(f"[{i}/{len(selected)}] {notebook.name} (profile {profile})", flush=True)
        reason = None if train or refresh_sources else exp.missing(profile)
        if reason:
            print(f"    skipped: {reason.rstrip('.')}; or run the pipeline with --train", flush=True)
            skipped.append(f"{notebook.name}: {reason}")
            continue
        if train:
            exp.train(profile)  # before the notebook, which reuses it
        parameters = _parameters(list(params), notebook)
        load = os.getloadavg()[0]  # before the notebook starts: what else was running on the cores
        log = profiles.project_root() / "runs" / "logs" / profile / f"{notebook.stem}.stderr.log"
        if refresh_sources:
            with tempfile.TemporaryDirectory() as tmp:
                executed = Path(tmp) / notebook.name
                seconds = execute(notebook, executed, parameters, log)
                _write(clean(nbformat.read(executed, as_version=4)), notebook)
        else:
            executed = root / "results" / "notebooks" / notebook.name
            seconds = execute(notebook, executed, {**parameters, "profile": profile}, log)
            _write(clean(nbformat.read(executed, as_version=4)), executed)
        print(f"    done in {seconds:.0f} s", flush=True)
        if not refresh_sources:
            timings["notebooks"][notebook.stem] = {
                "seconds": round(seconds, 1),
                "machine": machine(),
                "commit": code_version(),
                "load": round(load, 1),
            }
            write_json(timings_path, {**timings, "profile": profile})
    if profile == profiles.REFERENCE and not refresh_sources:
        report.update()
        print("README.md and results/REPORT.md rewritten from results/")
    if skipped:
        print("not executed, their runs not recorded:\n  " + "\n  ".join(skipped), flush=True)
    return skipped


def main(argv=None) -> None:
    quiet()  # before the kernels start: they inherit TF_CPP_MIN_LOG_LEVEL
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default=profiles.REFERENCE, choices=profiles.NAMES)
    parser.add_argument("--only", nargs="+", help="notebook name prefixes, e.g. 01 03")
    parser.add_argument("-p", "--param", action="append", default=[], help="NAME=VALUE for every notebook")
    parser.add_argument("--refresh-sources", action="store_true", help="re-execute notebooks/ in place (smoke)")
    parser.add_argument("--train", action="store_true", help="also execute notebooks whose runs must be trained first")
    args = parser.parse_args(argv)
    if args.refresh_sources and (args.profile != "smoke" or args.param):
        parser.error("--refresh-sources runs the notebooks' defaults: use it with --profile smoke and no --param")
    run(args.profile, args.only, args.param, args.refresh_sources, args.train)


if __name__ == "__main__":
    sys.exit(main())
