"""Where ampctl's data files live: inside the wheel when installed, else the repository's top level."""

from __future__ import annotations

from pathlib import Path

import ampctl


def templates_dir() -> Path:
    """The Jinja templates: `ampctl/templates` in an installed wheel, else `<repo>/templates`."""
    package = Path(ampctl.__file__).parent
    packaged = package / "templates"
    if packaged.is_dir():
        return packaged
    return package.parent / "templates"
