"""Where the project's files (settings.toml, migrations/, schema/) live.

The source checkout by default; an installed copy (the container image) sets TASKQL_HOME.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    home = os.environ.get("TASKQL_HOME")
    return Path(home) if home else Path(__file__).resolve().parent.parent
