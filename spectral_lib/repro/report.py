"""What is generated from the results files and the code: README's table of claims and the report.

``python -m spectral_lib.repro.report`` rewrites the part of README.md between the markers of
:data:`BLOCKS` (every experiment's rows of the table of claims, from the reference results files only) and
writes ``results/REPORT.md`` whole (:func:`report_text`) and the reference models' cards
(``results/models/README.md``, :func:`model_cards_text`): the table of claims again, the figures, each
registered section's text under its title (:func:`spectral_lib.repro.experiment.sections`: experiments,
then benchmarks), what each experiment runs in each profile and the choices the paper leaves open. The
pipeline does it after every reference run and a test fails when either file and the results files or the
code disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from spectral_lib import files
from spectral_lib.repro import experiment, profiles
from spectral_lib.repro.benchmarks import minutes
from spectral_lib.repro.profiles import REFERENCE, project_root

START = "<!-- claims:start: written by `python -m spectral_lib.repro.report` from results/; do not edit by hand -->"
END = "<!-- claims:end -->"
REPORT = Path("results") / "REPORT.md"  # in the checkout
MODEL_CARDS = Path("results") / "models" / "README.md"


def _claims(recorded: dict) -> list[str]:
    """README's table of claims: every experiment's verdicts with their evidence, then the times."""
    lines = ["| paper item | notebook | claim | verdict | evidence |", "|---|---|---|---|---|"]
    for exp, summary in recorded.items():
        if summary is None:
            lines.append(f"| {exp.paper_item} | `{exp.notebook}` | - | not yet recorded | see its section below |")
        else:
            lines += exp.readme_items(summary)
    path = project_root() / "results" / f"pipeline_{REFERENCE}.json"
    if path.exists():
        timings = files.read_json(path)
        lines += ["", f"Profile `{timings['profile']}`: {executed(timings['notebooks'])}"]
    return lines


def executed(notebooks: dict[str, dict]) -> str:
    """The time to execute each notebook from its recorded runs, grouped by the machine and commit that
    executed it, with the 1-minute load average before it started (a load near the core count means the
    cores were shared, e.g. with training, and the times are longer than on idle cores)."""
    groups: dict[tuple, list[str]] = {}
    for name, t in notebooks.items():
        groups.setdefault((t["machine"], t["commit"]), []).append(
            f"`{name}` {minutes(t['seconds'])} (load {t['load']:g})"
        )
    parts = [f"on {machine} at {commit}: {', '.join(times)}" for (machine, commit), times in groups.items()]
    return (
        f"time to execute each notebook from its recorded runs, with the 1-minute load average before it "
        f"started, {'; '.join(parts)}. The machines that trained the runs are named in each section."
    )


def _figures() -> list[str]:
    pngs = sorted((project_root() / "figures").glob("[0-9][0-9]_*.png"))
    return [f"![{png.stem}](../figures/{png.name})" for png in pngs]


def _recorded() -> dict:
    return {section: section.load() for section in experiment.sections()}


def claims_block() -> str:
    """README's table of claims, from the reference results files."""
    claims = {s: r for s, r in _recorded().items() if isinstance(s, experiment.Experiment)}
    return "\n".join([START, ""] + _claims(claims) + ["", END])


def block() -> str:
    """The report's results: the table of claims, the figures, then every section's text under its title."""
    recorded = _recorded()
    claims = {s: r for s, r in recorded.items() if isinstance(s, experiment.Experiment)}
    lines = ["## Results", ""] + _claims(claims) + [""] + _figures() + [""]
    for section, found in recorded.items():
        text = section.readme_section(found)
        if text:
            lines += [f"### {section.title}", ""] + text + [""]
    return "\n".join(lines)


def choices_block() -> str:
    """Bullets on the choices the paper leaves open, from each experiment's config and run settings."""
    lines = ["## Choices the paper leaves open", ""]
    for exp in experiment.registered():
        lines += exp.readme_choices()
    return "\n".join(lines)


def profiles_block() -> str:
    """A table of what every experiment computes or trains in each profile, from its config."""
    lines = [
        "## What each profile runs",
        "",
        "| notebook | " + " | ".join(f"`{name}`" for name in profiles.NAMES) + " |",
        "|---" * (len(profiles.NAMES) + 1) + "|",
    ]
    for exp in experiment.registered():
        lines.append(f"| `{exp.notebook}` | " + " | ".join(exp.describe(name) for name in profiles.NAMES) + " |")
    return "\n".join(lines)


def report_text() -> str:
    """``results/REPORT.md``: everything generated, in detail, from the results files and the code."""
    head = (
        "# spectral-cnn: the report\n\nWritten by `python -m spectral_lib.repro.report` from `results/` and the "
        "code; do not edit by hand. [README](../README.md) says what this package is and how to run it.\n"
    )
    return "\n\n".join([head, block(), profiles_block(), choices_block()]) + "\n"


def model_cards_text() -> str | None:
    """``results/models/README.md`` from the table's results file (``None`` before it has reference models)."""
    from spectral_lib.repro import table4b

    found = experiment.get(table4b.EXPERIMENT).load()
    return table4b.model_cards(found) if found and found["reference_models"] else None


BLOCKS = ((START, END, claims_block),)


def readme_block(text: str, start: str = START, end: str = END) -> str:
    """The generated section between ``start`` and ``end`` currently in README text (empty if missing)."""
    if start not in text or end not in text:
        return ""
    return text[text.index(start) : text.index(end) + len(end)]


def update(root: Path | None = None) -> None:
    """Rewrite README.md's generated blocks and ``results/REPORT.md`` under ``root`` (the checkout)."""
    root = root or project_root()
    path = root / "README.md"
    text = path.read_text()
    for start, end, build in BLOCKS:
        current = readme_block(text, start, end)
        if not current:
            raise SystemExit(f"{path} has no markers {start!r} ... {end!r}")
        text = text.replace(current, build())
    files.write_text(path, text)
    files.write_text(root / REPORT, report_text())
    if (cards := model_cards_text()) is not None:
        files.write_text(root / MODEL_CARDS, cards)


if __name__ == "__main__":
    sys.exit(update())
