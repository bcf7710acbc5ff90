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
