"""Log lines in the formats the real containers write: logrus (aws-sigv4-proxy), go-kit logfmt
(Prometheus) and zerolog console (cost-model)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

# logrus and go-kit leave these values unquoted.
_BARE = re.compile(r"^[A-Za-z0-9_./@^+-]+$")


_LOGFMT_SPECIAL = re.compile(r'[\s="\x00-\x1f]')


def _quote(value: object) -> str:
    text = str(value)
    return text if text and _BARE.match(text) else json.dumps(text, ensure_ascii=False)


def _logfmt_quote(value: object) -> str:
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if not text or _LOGFMT_SPECIAL.search(text) else text


def _now(millis: bool = False) -> str:
    stamp = datetime.now(timezone.utc)
    if millis:
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def logrus(level: str, msg: str, **fields: object) -> str:
    """`time="..." level=info msg="..." key=value` with the fields sorted, as logrus' text formatter."""
    parts = [f'time="{_now()}"', f"level={level}", f"msg={json.dumps(msg)}"]
    parts += [f"{key}={_quote(value)}" for key, value in sorted(fields.items())]
    return " ".join(parts)


def logfmt(level: str, msg: str, caller: str, **fields: object) -> str:
    """`ts=... caller=... level=... msg=...` in Prometheus' order (component fields before level)."""
    head = [f"ts={_now(millis=True)}", f"caller={caller}"]
    component = [f"{k}={_logfmt_quote(fields.pop(k))}" for k in ("component", "remote_name", "url") if k in fields]
    if component:
        head += component[:1] + [f"level={level}"] + component[1:]
    else:
        head.append(f"level={level}")
    head.append(f"msg={_logfmt_quote(msg)}")
    head += [f"{key}={_logfmt_quote(value)}" for key, value in fields.items()]
    return " ".join(head)


def zerolog(level: str, msg: str) -> str:
    """`2024-01-01T00:00:00Z ERR message`, cost-model's console format, one line."""
    return f"{_now()} {level} " + msg.replace("\n", "\\n").replace("\t", "\\t")


def sigv4proxy_start(port: int, image: str = "") -> list[str]:
    """What aws-sigv4-proxy logs at start-up (cmd/aws-sigv4-proxy/main.go at each tag): from v1.9 a "Custom
    headers" line first; from v1.8 "Duplicating headers" between "Stripping headers" and "Listening on"."""
    tag = image.rpartition(":")[2] if ":" in image.rpartition("/")[2] else ""
    found = re.match(r"^v?(\d+)\.(\d+)", tag)
    version = (int(found.group(1)), int(found.group(2))) if found else (99, 0)  # latest: the newest lines
    lines = []
    if version >= (1, 9):
        lines.append(logrus("info", "Custom headers, values are redacted: []", CcustomHeadersParsed="[]"))
    lines.append(logrus("info", "Stripping headers []", StripHeaders="[]"))
    if version >= (1, 8):
        lines.append(logrus("info", "Duplicating headers []", DuplicateHeaders="[]"))
    lines.append(logrus("info", f"Listening on :{port}", port=f":{port}"))
    return lines
