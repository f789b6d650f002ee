"""Run the app: one process, or N workers sharing the port with SO_REUSEPORT.

aiohttp's run_app turns SIGTERM/SIGINT into a graceful stop: it closes the listening socket
(new connections are refused), lets in-flight requests finish for up to
server.shutdown_timeout_seconds, runs the cleanup contexts (closing the pools) and returns.
"""

from __future__ import annotations

import dataclasses
import gc
import multiprocessing
import os
import signal
from types import FrameType

from aiohttp import web

from server.app import create_app
from server.metrics import MULTIPROCESS_DIRECTORY, mark_worker_dead
from server.multiprocess_metrics import metrics_directory
from taskql.logging import get_logger
from taskql.settings import Settings

log = get_logger("taskql.server")


def serve(settings: Settings) -> int:
    workers = settings.server.workers
    if workers == 1:
        # One process keeps its metrics in memory, whatever the environment inherited.
        os.environ.pop(MULTIPROCESS_DIRECTORY, None)
        _run_worker(settings, reuse_port=False)
        return 0
    with metrics_directory():
        return _run_workers(settings, workers)


def _run_worker(settings: Settings, *, reuse_port: bool) -> None:
    import uvloop  # noqa: PLC0415 - only a serving process needs it

    server = settings.server
    log.info("serving", host=server.host, port=server.port, pid=os.getpid())
    app = create_app(settings)
    app.on_startup.append(_tune_garbage_collector)
    web.run_app(
        app,
        host=server.host,
        port=server.port,
        reuse_port=reuse_port,
        shutdown_timeout=server.shutdown_timeout_seconds,
        access_log=None,
        print=None,
        loop=uvloop.new_event_loop(),
    )
    mark_worker_dead()
    log.info("stopped", pid=os.getpid())


async def _tune_garbage_collector(_: web.Application) -> None:
    """Fewer, cheaper collections for a server that allocates many short-lived objects.

    Everything alive after start-up (modules, schema, settings) is moved out of the
    collector's sight, and the youngest generation is collected every 50,000 allocations
    instead of 700: measured here, 10-12 % less CPU per list request.

    The oldest generation is collected every 2 middle ones (not 20): objects of the requests
    in flight when a younger collection runs are promoted, and the cycles among them die
    there. With 32 requests at once, a full collection every 20 x 20 young ones let that
    garbage pile up: RSS rose past 150 MB and kept rising (bench/README.md, "RSS").
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 10, 2)


def _run_workers(settings: Settings, workers: int) -> int:
    fork = multiprocessing.get_context("fork")
    processes = []
    for index in range(workers):
        # Only the first worker migrates, so two processes never race over the same DDL.
        worker_settings = settings
        if index > 0:
            database = dataclasses.replace(settings.database, migrate_on_start=False)
            worker_settings = dataclasses.replace(settings, database=database)
        process = fork.Process(
            target=_run_worker, args=(worker_settings,), kwargs={"reuse_port": True}
        )
        process.start()
        processes.append(process)

    def forward(signum: int, _: FrameType | None) -> None:
        for process in processes:
            if process.pid is not None and process.is_alive():
                os.kill(process.pid, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for process in processes:
        process.join()
    return max((process.exitcode or 0) for process in processes)
