"""Transcripts: the messages of one conversation in the order a client saw
them, each with its direction and time, so a test can feed diagtap's engine
exactly what went over the wire.

File format (all integers big-endian):
    "DTTR1\\n"                       magic
    then records: u8 direction (0 client->adapter, 1 adapter->client),
                  u64 nanoseconds since the first record, u32 length, bytes
"""
import struct
import threading
import time

MAGIC = b"DTTR1\n"


class TranscriptWriter:
    def __init__(self, path):
        self._f = open(path, "wb")
        self._f.write(MAGIC)
        self._t0 = None
        self._lock = threading.Lock()

    def add(self, direction, data):
        with self._lock:
            now = time.monotonic_ns()
            if self._t0 is None:
                self._t0 = now
            self._f.write(struct.pack(">BQI", direction, now - self._t0, len(data)) + data)
            self._f.flush()

    def close(self):
        self._f.close()


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(MAGIC):
        raise ValueError("%s: not a transcript" % path)
    pos, out = len(MAGIC), []
    while pos < len(data):
        d, ns, n = struct.unpack_from(">BQI", data, pos)
        pos += 13
        out.append((d, ns, data[pos:pos + n]))
        pos += n
    return out
