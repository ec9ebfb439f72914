"""README's first screen: short, its layer example runs as written, its cluster example trains the whole queue."""

import re
from pathlib import Path

from spectral_lib.repro import table4b

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_readme_is_short_and_links_the_report_and_the_guide():
    assert len(README.splitlines()) < 300
    assert "(results/REPORT.md)" in README and "(docs/GUIDE.md)" in README


def test_the_layer_example_compiles_and_fits():
    section = README[README.index("## Using the layers") : README.index("## Evaluating the reference models")]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    scope = {}
    exec(code, scope)
    model = scope["model"]
    assert int(model.optimizer.iterations) == 2 and model.output_shape == (None, 10)  # 64 images, batch 32


def test_the_cluster_example_covers_the_whole_queue():
    (first, last) = map(int, re.search(r"sbatch --array=(\d+)-(\d+) ", README).groups())
    runs = len(table4b.plan("cpu"))
    assert (first, last) == (0, runs - 1) and f"the queue's {runs} per GPU" in README
