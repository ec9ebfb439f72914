"""The README's generated parts: the results section, from the reference results files only, and the
table of profiles and the choices the paper leaves open, from the experiments' config and run settings.

``python -m spectral_lib.repro.report`` rewrites the parts of README.md between each pair of
markers below (:data:`BLOCKS`) by looping over the registered sections
(:func:`spectral_lib.repro.experiment.sections`): every experiment's rows of the table of claims, then
each section's text under its title; what each experiment runs in each profile; its choices. The
pipeline does it after every reference run and a test fails when README.md and the results files or
the code disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from spectral_lib import files
from spectral_lib.repro import experiment, profiles
from spectral_lib.repro.benchmarks import minutes
from spectral_lib.repro.profiles import REFERENCE, project_root

START = "<!-- results:start: written by `python -m spectral_lib.repro.report` from results/; do not edit by hand -->"
END = "<!-- results:end -->"
CHOICES_START = (
    "<!-- choices:start: written by `python -m spectral_lib.repro.report` from the code; do not edit by hand -->"
)
CHOICES_END = "<!-- choices:end -->"
PROFILES_START = (
    "<!-- profiles:start: written by `python -m spectral_lib.repro.report` from the code; do not edit by hand -->"
)
PROFILES_END = "<!-- profiles:end -->"


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
    return [f"![{png.stem}](figures/{png.name})" for png in pngs]


def block() -> str:
    """The results section as markdown, from the reference results files."""
    recorded = {section: section.load() for section in experiment.sections()}
    claims = {s: r for s, r in recorded.items() if isinstance(s, experiment.Experiment)}
    lines = [START, ""] + _claims(claims) + [""] + _figures() + [""]
    for section, found in recorded.items():
        text = section.readme_section(found)
        if text:
            lines += [f"### {section.title}", ""] + text + [""]
    return "\n".join(lines + [END])


def choices_block() -> str:
    """README's bullets on the choices the paper leaves open, from each experiment's config and run settings."""
    lines = [CHOICES_START]
    for exp in experiment.registered():
        lines += exp.readme_choices()
    return "\n".join(lines + [CHOICES_END])


def profiles_block() -> str:
    """README's table of what every experiment computes or trains in each profile, from its config."""
    lines = [
        PROFILES_START,
        "| notebook | " + " | ".join(f"`{name}`" for name in profiles.NAMES) + " |",
        "|---" * (len(profiles.NAMES) + 1) + "|",
    ]
    for exp in experiment.registered():
        lines.append(f"| `{exp.notebook}` | " + " | ".join(exp.describe(name) for name in profiles.NAMES) + " |")
    return "\n".join(lines + [PROFILES_END])


BLOCKS = (
    (START, END, block),
    (CHOICES_START, CHOICES_END, choices_block),
    (PROFILES_START, PROFILES_END, profiles_block),
)


def readme_block(text: str, start: str = START, end: str = END) -> str:
    """The generated section between ``start`` and ``end`` currently in README text (empty if missing)."""
    if start not in text or end not in text:
        return ""
    return text[text.index(start) : text.index(end) + len(end)]


def update_readme(path: Path | None = None) -> None:
    path = path or project_root() / "README.md"
    text = path.read_text()
    for start, end, build in BLOCKS:
        current = readme_block(text, start, end)
        if not current:
            raise SystemExit(f"{path} has no markers {start!r} ... {end!r}")
        text = text.replace(current, build())
    files.write_text(path, text)


if __name__ == "__main__":
    sys.exit(update_readme())
