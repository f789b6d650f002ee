"""The directory where the workers of one `taskql serve --workers N` keep their metrics."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator

from server.metrics import MULTIPROCESS_DIRECTORY


@contextlib.contextmanager
def metrics_directory() -> Iterator[str]:
    """A fresh private directory named in PROMETHEUS_MULTIPROC_DIR while the workers run.

    Made by the serving parent before it forks, so every worker (and no earlier run: files
    left behind would be summed in) writes there; prometheus_client reads the variable when
    first imported, which happens in the workers (taskql.metrics).
    """
    directory = tempfile.mkdtemp(prefix="taskql-metrics-")  # mode 0700
    previous = os.environ.get(MULTIPROCESS_DIRECTORY)
    os.environ[MULTIPROCESS_DIRECTORY] = directory
    try:
        yield directory
    finally:
        if previous is None:
            os.environ.pop(MULTIPROCESS_DIRECTORY, None)
        else:
            os.environ[MULTIPROCESS_DIRECTORY] = previous
        shutil.rmtree(directory, ignore_errors=True)
