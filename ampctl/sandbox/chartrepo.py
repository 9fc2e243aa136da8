"""A helm chart repository holding the sandbox's stand-in `cost-analyzer` charts.

Each chart directory under `charts/` is packaged as `helm package` would (a gzipped tar whose
top directory is the chart name) and listed in an `index.yaml`, so `helm pull cost-analyzer
--repo <base_url> --version <v>` and `helm install` work against any static file server.
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


def build_chart_repo(dest: Path, base_url: str) -> None:
    """Write `cost-analyzer-<version>.tgz` for every stand-in chart and the repo's `index.yaml`."""
    dest.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    entries: dict[str, list[dict[str, Any]]] = {}
    for chart_dir in chart_dirs():
        meta, archive = package_chart(chart_dir)
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
