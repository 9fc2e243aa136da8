"""The lowest versions pyproject.toml allows for ampctl's runtime dependencies, as pip constraints.

Usage: python scripts/floors.py [WHEEL_DIR]   prints one `name==floor` line per runtime dependency, and with
WHEEL_DIR (where `pip download --no-deps boto3==<floor>` put boto3's wheel) botocore's floor too: the lowest
botocore that boto3's floor accepts, since boto3 is a thin layer and botocore holds the API models.
Every runtime dependency must declare its floor with `>=` (a dependency without one cannot be tested at
its lowest version): one is missing, the script says which and exits 1.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    from pip._vendor import tomli as tomllib  # type: ignore[no-redef]

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def runtime_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[Requirement]:
    data = tomllib.loads(pyproject.read_text())
    return [Requirement(text) for text in data["project"]["dependencies"]]


def floors(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, str]:
    """{distribution name: the `>=` lower bound} for every runtime dependency; ValueError names one without."""
    found: dict[str, str] = {}
    for req in runtime_requirements(pyproject):
        lows = [spec.version for spec in req.specifier if spec.operator == ">="]
        if len(lows) != 1:
            raise ValueError(f"{req}: give it exactly one `>=` lower bound (its floor is tested)")
        found[req.name.lower()] = lows[0]
    return found


def botocore_floor(wheel_dir: Path, boto3_floor: str) -> str:
    """The `>=` bound on botocore in the metadata of boto3's wheel at its floor."""
    wheel = next(wheel_dir.glob(f"boto3-{boto3_floor}*-py3-none-any.whl"))
    with zipfile.ZipFile(wheel) as whl:
        meta = next(n for n in whl.namelist() if n.endswith(".dist-info/METADATA"))
        for line in whl.read(meta).decode().splitlines():
            if line.startswith("Requires-Dist:") and "botocore" in line and "extra ==" not in line:
                req = Requirement(line.split(":", 1)[1].replace("(", "").replace(")", "").strip())
                return next(spec.version for spec in req.specifier if spec.operator == ">=")
    raise ValueError(f"{wheel.name} names no botocore floor")


def main(argv: list[str]) -> int:
    try:
        pins = floors()
        if len(argv) > 1:
            pins["botocore"] = botocore_floor(Path(argv[1]), pins["boto3"])
    except (ValueError, StopIteration) as exc:
        print(f"error: {exc or 'boto3 wheel not found'}", file=sys.stderr)
        return 1
    for name, version in pins.items():
        print(f"{name}=={version}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
