"""The frames on the pipes between a run's processes (pipeline.crawl.remote: the run and its fetch
process; pipeline.crawl.readers: the fetch process and its page readers): a 4-byte length, then a pickle.
Both ends are this package, on pipes no one else holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import copyreg
import os
import pickle
import signal
import struct
import sys
from types import MappingProxyType
from typing import Any, BinaryIO


def _read_only(mapping: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(mapping)


# Headers and config maps are read-only views; they travel as the mapping they show.
copyreg.pickle(MappingProxyType, lambda view: (_read_only, (dict(view),)))

_LENGTH = struct.Struct(">I")


def frame(message: object) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data


async def read(reader: asyncio.StreamReader) -> Any:
    """The next message, or None at the end of the stream."""
    try:
        head = await reader.readexactly(_LENGTH.size)
        return pickle.loads(await reader.readexactly(_LENGTH.unpack(head)[0]))
    except asyncio.IncompleteReadError:
        return None


def read_from(stream: BinaryIO) -> Any:
    """The next message of a blocking stream, or None at its end."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    size = _LENGTH.unpack(head)[0]
    data = stream.read(size)
    return pickle.loads(data) if len(data) == size else None


async def connect(
    incoming: BinaryIO, outgoing: BinaryIO
) -> tuple[asyncio.StreamReader, asyncio.WriteTransport, list[asyncio.BaseTransport]]:
    """On the running loop, a pipe as a stream to read frames from and another as a transport to write
    them to (a child's stdout and stdin in its parent; as_child's pair in the child); and both
    transports, for closing()."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    protocol = asyncio.StreamReaderProtocol(reader)
    transport, _ = await loop.connect_read_pipe(lambda: protocol, incoming)
    writer, _ = await loop.connect_write_pipe(asyncio.Protocol, outgoing)
    return reader, writer, [transport, writer]


async def closing(pipes: list[asyncio.BaseTransport], reading: asyncio.Task[None] | None) -> None:
    """Close a child's pipes (it ends as its stdin closes) and stop the task that read its answers."""
    for pipe in pipes:
        pipe.close()
    if reading is not None:
        reading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reading


def as_child() -> tuple[BinaryIO, BinaryIO]:
    """Set up a child process of the run (the fetch process, a page reader): it ignores SIGINT and SIGTERM
    (its parent ends it by closing its stdin), and the frames own fd 0 and 1, so a stray print goes to
    stderr instead. Returns the pipes to read frames from and write them to."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    stdin, stdout = os.dup(0), os.dup(1)
    os.dup2(2, 1)
    sys.stdin = open(os.devnull)  # noqa: SIM115
    return os.fdopen(stdin, "rb"), os.fdopen(stdout, "wb")
