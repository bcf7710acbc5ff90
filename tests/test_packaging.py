"""The package's public surface: exports exist, import is light and side-effect free."""

from __future__ import annotations

import subprocess
import sys

import seatalloc


def test_every_name_in_all_exists_and_all_is_sorted() -> None:
    missing = [name for name in seatalloc.__all__ if not hasattr(seatalloc, name)]
    assert missing == []
    assert list(seatalloc.__all__) == sorted(seatalloc.__all__)


def test_import_pulls_in_no_optional_dependency_and_changes_no_global_state() -> None:
    code = (
        "import sys, warnings, logging\n"
        "filters = list(warnings.filters); handlers = list(logging.root.handlers)\n"
        "import seatalloc, seatalloc.cli\n"
        "heavy = sorted(m for m in ('ortools', 'matplotlib', 'dask', 'distributed', "
        "'hypothesis', 'numpy', 'pandas') if m in sys.modules)\n"
        "assert heavy == [], heavy\n"
        "assert warnings.filters == filters and logging.root.handlers == handlers\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "ok", done.stderr


def test_package_ships_type_information() -> None:
    from importlib.resources import files

    assert files("seatalloc").joinpath("py.typed").is_file()


# -- metadata, the sdist, the testing extra and the pytest plugin ----------------------------

import shutil  # noqa: E402
import tarfile  # noqa: E402
from email.parser import Parser  # noqa: E402
from importlib.metadata import distribution, version  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import seatalloc.testing  # noqa: E402  (registers its strategies for st.from_type)
from seatalloc import Problem  # noqa: E402
from seatalloc.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def test_version_comes_from_the_package_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    assert seatalloc.__version__ == version("seatalloc")
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"seatalloc {version('seatalloc')}"


def test_metadata_has_an_spdx_license_its_file_and_classifiers() -> None:
    meta = distribution("seatalloc").metadata
    assert meta["License-Expression"] == "MIT"
    assert "LICENSE" in (meta.get_all("License-File") or [])
    classifiers = meta.get_all("Classifier") or []
    assert "Programming Language :: Python :: 3.13" in classifiers
    assert "Framework :: Pytest" in classifiers
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


def _tracked(root: Path) -> set[str] | None:
    git = shutil.which("git")
    if git is None or not (root / ".git").exists():
        return None
    done = subprocess.run([git, "ls-files"], cwd=root, capture_output=True, text=True,
                          check=False, timeout=60)  # fmt: skip
    return set(done.stdout.split()) if done.returncode == 0 else None


def test_the_sdist_holds_every_tracked_source_test_doc_and_example(tmp_path: Path) -> None:
    tracked = _tracked(ROOT)
    if tracked is None:
        pytest.skip("needs a git checkout to know the tracked files")
    pytest.importorskip("build", reason="needs the 'test' extra (build)")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--no-isolation", "-o", str(tmp_path),
         str(ROOT)],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    (archive,) = tmp_path.glob("seatalloc-*.tar.gz")
    with tarfile.open(archive) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
        info = tar.extractfile(next(n for n in tar.getnames() if n.endswith("/PKG-INFO")))
        assert info is not None
        pkg_info = Parser().parsestr(info.read().decode("utf-8"))
    wanted = {
        f for f in tracked
        if f.startswith(("src/", "tests/", "docs/", "examples/", "benchmarks/"))
    } | {"LICENSE", "README.md", "pyproject.toml"}  # fmt: skip
    assert wanted - names == set()
    assert "tests/conftest.py" in names and any(n.startswith("tests/data/") for n in names)
    assert not any("__pycache__" in n for n in names)
    assert pkg_info["License-Expression"] == "MIT"


def test_the_testing_module_without_hypothesis_names_the_light_extra() -> None:
    code = (
        "import sys\n"
        "sys.modules['hypothesis'] = None  # as if it were not installed\n"
        "try:\n"
        "    import seatalloc.testing\n"
        "except ModuleNotFoundError as error:\n"
        "    print(type(error).__name__, error.name, '|', error)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, timeout=60)  # fmt: skip
    assert done.stdout.startswith("MissingExtraError hypothesis |"), done.stderr
    assert "pip install 'seatalloc[testing]'" in done.stdout


@given(st.from_type(Problem))
def test_from_type_draws_valid_problems(problem: Problem) -> None:
    assert isinstance(problem, Problem)
    assert problem.replace() == problem


def test_the_pytest_plugin_gives_users_an_assert_fair_fixture(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(
        "from seatalloc import allocate\n"
        "from seatalloc.scenarios import workshop\n"
        "from seatalloc.cli.demo import demo_problem\n\n"
        "def test_fcfs_is_fair(assert_fair):\n"
        "    problem = demo_problem()\n"
        "    assert_fair(problem, allocate(problem))\n\n"
        "def test_nobody_seated_is_wasteful(assert_fair):\n"
        "    problem = demo_problem()\n"
        "    assert_fair(problem, {r.id: None for r in problem.requests})\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         "test_user.py"],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert "1 failed, 1 passed" in done.stdout, done.stdout[-3000:]
    assert "fairness violations:" in done.stdout and "waste:" in done.stdout


def test_blocks_of_a_decision_are_the_exported_block_type() -> None:
    from seatalloc import Block, Group, Problem, Quota, Request, Session, Shortfall, allocate

    problem = Problem(
        sessions=[Session("s", 5)],
        groups=[Group("g")],
        quotas=[Quota(1, group="g")],
        requests=[Request("a", "g", arrival=1), Request("b", "g", arrival=2)],
    )
    (block,) = allocate(problem).decisions["b"].blocks
    assert type(block) is Block and isinstance(block, Shortfall)
    assert list(block.holders) == ["a"]
