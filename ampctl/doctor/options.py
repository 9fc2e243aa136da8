"""What doctor is asked to do, and the durations its options take ("90s", "15m", "1h30m", "2d")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ampctl.errors import AmpctlError
from ampctl.spec import DEFAULT_ALIAS, DEFAULT_NAMESPACE, DEFAULT_RELEASE

if TYPE_CHECKING:
    from ampctl.fleet import Fleet

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


@dataclass(frozen=True)
class DoctorOptions:
    namespace: str = DEFAULT_NAMESPACE
    release: str = DEFAULT_RELEASE
    alias: str = DEFAULT_ALIAS
    workspace_id: str | None = None
    workspace_role_arn: str | None = None  # the workspace is in another account: the role assumed there
    bucket: str | None = None
    helm: str | None = None
    wait: float = 0.0  # seconds to poll the PromQL checks for data
    max_sample_age: float = 180.0  # newer samples than this count as fresh
    log_window: float = 900.0  # log lines older than this are ignored
    poll_interval: float = 3.0


def parse_duration(text: str, option: str) -> float:
    """Seconds in `90s`, `15m`, `1h30m`, `2d` or a bare number of seconds."""
    value = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    if value and _PART.sub("", value) == "":
        return sum(float(n) * _UNITS[unit] for n, unit in _PART.findall(value))
    raise AmpctlError(f"{option} {text!r} is not a duration", f"write it like 90s, 15m or 1h30m, e.g. {option} 15m")


def format_age(seconds: float) -> str:
    """A short age: 3s, 4m12s, 2h5m."""
    total = max(0, int(round(seconds)))
    if total < 60:
        return f"{total}s"
    if total < 3600:
        minutes, secs = divmod(total, 60)
        return f"{minutes}m{secs:02d}s" if secs else f"{minutes}m"
    hours, rest = divmod(total, 3600)
    return f"{hours}h{rest // 60}m" if rest // 60 else f"{hours}h"


DURATIONS = {"wait": "--wait", "max_sample_age": "--max-sample-age", "log_window": "--log-window"}


def build(given: dict[str, object], fleet: Fleet | None) -> DoctorOptions:
    """Flags win over the fleet file, which wins over the defaults; durations are parsed here."""
    import dataclasses

    names = {f.name for f in dataclasses.fields(DoctorOptions)}
    from_file = {k: v for k, v in (fleet.given() if fleet is not None else {}).items() if k in names}
    settings: dict[str, object] = {**from_file, **{k: v for k, v in given.items() if v is not None}}
    for key, option in DURATIONS.items():
        if key in settings:
            settings[key] = parse_duration(str(settings[key]), option)
    if settings.get("workspace_role_arn"):
        from ampctl.validate import role_arn

        role_arn(str(settings["workspace_role_arn"]))
    return DoctorOptions(**settings)  # type: ignore[arg-type]
