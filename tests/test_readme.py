"""README's first screen: short, and its layer example runs as written."""

import re
from pathlib import Path

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
