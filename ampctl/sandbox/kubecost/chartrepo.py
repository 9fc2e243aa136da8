"""The sandbox's helm chart repository: real chart packages from a directory, or the stand-ins.

With a packages directory (`ampctl sandbox up --charts DIR`) every `*.tgz` in it is copied into the
repository and listed in its `index.yaml` (the directory itself is never written: it may be
read-only). Without one, each stand-in chart directory under `charts/` is packaged as `helm
package` would (a gzipped tar whose top directory is the chart name). Either way `helm pull
cost-analyzer --repo <base_url> --version <v>` and `helm install` work against any static file server.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

CHARTS_DIR = Path(__file__).resolve().parent / "charts"
_SKIP_NAMES = {"__pycache__", ".DS_Store"}
_SKIP_SUFFIXES = (".pyc", ".swp", ".bak", ".tmp", "~")


def chart_dirs() -> list[Path]:
    """The stand-in chart directories, one per chart version."""
    return sorted(p for p in CHARTS_DIR.iterdir() if (p / "Chart.yaml").is_file())


def package_chart(chart_dir: Path) -> tuple[dict[str, Any], bytes]:
    """Return (Chart.yaml metadata, archive bytes). Byte-identical for identical sources."""
    meta: dict[str, Any] = yaml.safe_load((chart_dir / "Chart.yaml").read_text())
    top = meta["name"]
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(chart_dir.rglob("*")):
            rel = path.relative_to(chart_dir)
            if not path.is_file() or _skipped(rel):
                continue
            data = path.read_bytes()
            info = tarfile.TarInfo(f"{top}/{rel.as_posix()}")
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return meta, gzip.compress(raw.getvalue(), mtime=0)


def _skipped(rel: Path) -> bool:
    return any(part in _SKIP_NAMES for part in rel.parts) or rel.name.endswith(_SKIP_SUFFIXES)


class ChartPackageError(ValueError):
    """A file in the packages directory is not a chart package."""


def packaged_charts(packages_dir: Path) -> list[tuple[dict[str, Any], bytes]]:
    """(Chart.yaml metadata, archive bytes) of every `*.tgz` in `packages_dir`, by file name."""
    found = []
    for path in sorted(packages_dir.glob("*.tgz")):
        archive = path.read_bytes()
        found.append((chart_metadata(path.name, archive), archive))
    return found


def cost_analyzer_versions(packages_dir: Path) -> list[str]:
    """The cost-analyzer versions a packages directory holds; ChartPackageError when it holds none."""
    if not packages_dir.is_dir():
        raise ChartPackageError(f"{packages_dir} is not a directory")
    versions = [str(m["version"]) for m, _ in packaged_charts(packages_dir) if m["name"] == "cost-analyzer"]
    if not versions:
        raise ChartPackageError(f"{packages_dir} holds no cost-analyzer chart package (cost-analyzer-<version>.tgz)")
    return sorted(versions, key=_version_key)


def chart_metadata(filename: str, archive: bytes) -> dict[str, Any]:
    """The top-level Chart.yaml of a packaged chart (`<name>/Chart.yaml` inside the archive)."""
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            for member in tar:
                parts = member.name.split("/")
                if len(parts) == 2 and parts[1] == "Chart.yaml" and member.isfile():
                    handle = tar.extractfile(member)
                    meta = yaml.safe_load(handle.read()) if handle else None
                    if isinstance(meta, dict) and meta.get("name") and meta.get("version"):
                        return meta
                    break
    except (tarfile.TarError, OSError, EOFError, yaml.YAMLError) as exc:
        raise ChartPackageError(f"{filename} is not a chart package: {exc}") from None
    raise ChartPackageError(f"{filename} is not a chart package: no Chart.yaml with a name and version")


def build_chart_repo(dest: Path, base_url: str, packages_dir: Path | None = None) -> None:
    """Write the charts (from `packages_dir`, else the stand-ins) and the repo's `index.yaml` into `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    entries: dict[str, list[dict[str, Any]]] = {}
    charts = packaged_charts(packages_dir) if packages_dir else [package_chart(d) for d in chart_dirs()]
    for stale in dest.glob("*.tgz"):  # a previous run may have served other charts
        stale.unlink()
    for meta, archive in charts:
        filename = f"{meta['name']}-{meta['version']}.tgz"
        (dest / filename).write_bytes(archive)
        entry = dict(meta)
        entry.update(
            urls=[f"{base_url.rstrip('/')}/{filename}"],
            digest=hashlib.sha256(archive).hexdigest(),
            created=now,
        )
        entries.setdefault(meta["name"], []).append(entry)
    for versions in entries.values():
        versions.sort(key=lambda e: _version_key(str(e["version"])), reverse=True)
    index = {"apiVersion": "v1", "entries": entries, "generated": now}
    tmp = dest / "index.yaml.tmp"
    tmp.write_text(yaml.safe_dump(index, sort_keys=True))
    tmp.replace(dest / "index.yaml")


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("-", 1)[0].split("."))
