"""The README's code runs and says what its comments claim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


def test_readme_taste_runs_and_its_comments_hold() -> None:
    (block,) = python_blocks(ROOT / "README.md")
    namespace: dict[str, object] = {}
    checks = []
    for line in block.splitlines():
        code, _, comment = line.partition("  # ")
        if comment.startswith("'") and comment.endswith("'"):
            checks.append((code.strip(), comment.strip("'")))
    exec(block, namespace)
    assert checks, "the README shows results in comments"
    for expression, shown in checks:
        assert eval(expression, namespace) == shown, expression


def test_tour_model_and_batch_sections_run() -> None:
    model, batch = python_blocks(ROOT / "docs" / "tour.md")[:2]
    namespace: dict[str, object] = {}
    exec(model, namespace)
    exec(batch, namespace)
    allocation = namespace["allocation"]
    assert allocation.explain("r2") == (  # type: ignore[attr-defined]
        "seated in 4\N{EN DASH}5 November, with colleagues who registered earlier"
    )
