"""The fetcher in a process of its own: a large run's HTTP on a second core. This module starts and ends
the process; pipeline.crawl.remote is what runs in it and the fetcher that talks to it.

A run is CPU-bound in Python well before the network is its limit (2.5 ms of CPU a page on a slow core:
connections, bodies, redirects, the meta-refresh check), and the judging, the validation and the store's
writes share that one core. On a machine with two cores or more, a run of many resources moves its
fetching to a child process, which runs the real Fetcher (pipeline.crawl.fetch) with the run's config:

    process = prestart(catalogue_dir)               # a command's first line: its imports overlap the run's
    process = process or FetchProcess.started()     # (run_check) when wanted(size, config); None: fetch here
    fetcher = RemoteFetcher(config, process)        # pipeline.crawl.remote; the crawl, probes, repairs use it
    async with fetcher: fetched = await fetcher.fetch(url)
    await fetcher.aclose(); process.close()

The child sends the long pages it fetches to page readers of its own (pipeline.crawl.readers), processes
it starts and ends the same way, so that their parse takes a core of its own.

This module imports nothing heavy (no asyncio: 60 ms before the child could start, on the path to the
run's first request): a command starts the child first, then imports the rest of the run.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.config import Config

CLOSE_WAIT_S = 5.0  # a child still running this long after its stdin closed is killed


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


PIPE_BYTES = 1 << 20  # Linux's default ceiling for an unprivileged process (/proc/sys/fs/pipe-max-size)


def widen(*pipes: IO[bytes] | None) -> None:
    """Let each pipe hold PIPE_BYTES, where the system allows (Linux), instead of 64 KB: a page of 200 KB
    then crosses in one write and one read, not four of each with the event loop woken in between."""
    try:
        import fcntl

        setsize = fcntl.F_SETPIPE_SZ  # type: ignore[attr-defined]
    except (ImportError, AttributeError):  # not Linux
        return
    for pipe in pipes:
        if pipe is not None:
            with contextlib.suppress(OSError):  # above a lowered ceiling: the default size stays
                fcntl.fcntl(pipe.fileno(), setsize, PIPE_BYTES)


def spawn_child(module: str, *, own_session: bool = False) -> subprocess.Popen[bytes]:
    """A child process of the run, `python -P -m module` (-P: the working directory is not put on the path;
    a folder named pipeline/ there is not us), with widened pipes on its stdin and stdout for frames
    (pipeline.crawl.frames) and its stderr discarded. The fetch process is one; its page readers too."""
    popen = subprocess.Popen(
        [sys.executable, "-P", "-m", module],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=own_session,
    )
    widen(popen.stdin, popen.stdout)
    return popen


def end_child(popen: subprocess.Popen[bytes], wait_s: float) -> None:
    """End a child of spawn_child: its pipes closed, it stops; still running after wait_s: killed."""
    for stream in (popen.stdin, popen.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    try:
        popen.wait(wait_s)
    except subprocess.TimeoutExpired:
        popen.kill()
        popen.wait()


def wanted(resources: int, config: Config) -> bool:
    """Whether a run of this many resources fetches in a process of its own on this machine."""
    start = config.check.fetch_process_from
    return start > 0 and resources >= start and usable_cores() >= 2


def prestart(catalogue_dir: Path) -> FetchProcess | None:
    """A child started at a command's first line, before its own imports, when the catalogue is large
    enough for the default `fetch_process_from` (counted without reading a file): ready when the crawl
    starts, where one started then would hold the first requests for its imports (0.4 s on a slow core).
    The run decides with the real config (run_check): it uses this child, or discards it."""
    from pipeline.catalogue.layout import resource_files
    from pipeline.config import CheckConfig

    if usable_cores() < 2 or resource_files(catalogue_dir) < CheckConfig.fetch_process_from:
        return None
    return FetchProcess.started()


@contextlib.contextmanager
def prestarted(catalogue_dir: Path) -> Iterator[FetchProcess | None]:
    """prestart()'s child for a command, ended with it: a run ends the child it used itself, so this ends
    one the command never got to use (an invalid catalogue, a database in use, nothing due)."""
    process = prestart(catalogue_dir)
    try:
        yield process
    finally:
        if process is not None:
            process.discard()


class FetchProcess:
    """The child process, started before the run's event loop exists (its imports take a while)."""

    def __init__(self, popen: subprocess.Popen[bytes]) -> None:
        self.popen = popen

    @classmethod
    def spawn(cls) -> FetchProcess:
        # In a session of its own: a Ctrl-C reaches the parent alone, which stops the run and closes it.
        return cls(spawn_child("pipeline.crawl.remote", own_session=True))

    @classmethod
    def started(cls) -> FetchProcess | None:
        """A child, or None when the system will not start one (out of processes or files): the run
        then fetches in its own process, as on one core; so it does where Python cannot name its own
        interpreter (an embedding application)."""
        if not sys.executable:
            return None
        try:
            return cls.spawn()
        except OSError:
            return None

    def discard(self) -> None:
        """End a child the run does not use, at once."""
        self.popen.kill()
        self.close()

    def close(self) -> None:
        """End the child (its stdin closed: it stops; still running after CLOSE_WAIT_S: killed)."""
        end_child(self.popen, CLOSE_WAIT_S)
