"""Token files (written by `memsieve distill` on the TypeScript side) and batching.

A token file is one framed message (framing.py): header {"format": "memsieve-tokens", "rows": N, ...}
then int64 offsets[N+1] and int32 ids[offsets[N]]; row i is ids[offsets[i]:offsets[i+1]].
Read through a memory map, so a corpus is never loaded whole.
"""

import contextlib
import os

import numpy as np
import torch

from .framing import DTYPES, FramingError, header_line, parse_header

TOKEN_FORMAT = "memsieve-tokens"


class DataError(Exception):
    """Bad input the user can fix (shown without a stack trace)."""


class TokenData:
    def __init__(self, offsets, ids, path="<memory>"):
        self.offsets = offsets
        self.ids = ids
        self.path = path

    def __len__(self):
        return len(self.offsets) - 1

    def row(self, i):
        return np.asarray(self.ids[self.offsets[i] : self.offsets[i + 1]], dtype=np.int64)

    def lengths(self):
        return np.diff(np.asarray(self.offsets))

    def max_id(self):
        return int(np.max(self.ids)) if len(self.ids) else -1

    @staticmethod
    def from_rows(rows, path="<memory>"):
        lengths = [len(r) for r in rows]
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        ids = np.concatenate([np.asarray(r, dtype=np.int32) for r in rows]) if rows else np.zeros(0, np.int32)
        return TokenData(offsets, ids, path)


def write_token_file(path, data):
    """Write atomically (temp file, then rename)."""
    fill = TokenFileFill(path, data.offsets)
    fill.ids[:] = np.asarray(data.ids, dtype=np.int32)
    return fill.publish()


class TokenFileFill:
    """A token file with known offsets, its ids filled in place through a writable memory map, so a
    corpus-sized file is written without holding it in memory. `publish()` renames it into place."""

    def __init__(self, path, offsets):
        offsets = np.asarray(offsets, dtype=np.int64)
        n_ids = int(offsets[-1])
        self.path, self.tmp = path, f"{path}.tmp-{os.getpid()}"
        header = {"format": TOKEN_FORMAT, "version": 1, "rows": len(offsets) - 1}
        line = header_line(header, [{"name": "offsets", "dtype": "int64", "length": len(offsets)},
                                    {"name": "ids", "dtype": "int32", "length": n_ids}])
        with open(self.tmp, "wb") as f:
            f.write(line)
            f.write(offsets.astype("<i8").tobytes())
            f.truncate(len(line) + 8 * len(offsets) + 4 * n_ids)
        self.ids = (np.memmap(self.tmp, dtype=DTYPES["int32"], mode="r+", offset=len(line) + 8 * len(offsets), shape=(n_ids,))
                    if n_ids else np.zeros(0, np.int32))

    def publish(self):
        if isinstance(self.ids, np.memmap):
            self.ids.flush()
        self.ids = None
        os.replace(self.tmp, self.path)
        return read_token_file(self.path)

    def discard(self):
        self.ids = None
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.tmp)


def read_token_file(path):
    try:
        f = open(path, "rb")
    except OSError as error:
        raise DataError(f"{path}: cannot open token file ({error.strerror})") from None
    with f:
        line = f.readline(1 << 20)
    try:
        header = parse_header(line)
    except FramingError as error:
        raise DataError(f"{path}: not a memsieve token file ({error})") from None
    if header.get("format") != TOKEN_FORMAT:
        raise DataError(f"{path}: not a memsieve token file (format {header.get('format')!r})")
    specs = {s["name"]: s for s in header.get("arrays", [])}
    if [s["name"] for s in header["arrays"]] != ["offsets", "ids"] or specs["offsets"]["dtype"] != "int64" or specs["ids"]["dtype"] != "int32":
        raise DataError(f"{path}: token file must hold int64 offsets then int32 ids")
    n_offsets, n_ids = specs["offsets"]["length"], specs["ids"]["length"]
    expected = len(line) + 8 * n_offsets + 4 * n_ids
    if os.path.getsize(path) != expected:
        raise DataError(f"{path}: token file is {os.path.getsize(path)} bytes, its header says {expected} (truncated?)")
    offsets = np.memmap(path, dtype=DTYPES["int64"], mode="r", offset=len(line), shape=(n_offsets,))
    ids = (
        np.memmap(path, dtype=DTYPES["int32"], mode="r", offset=len(line) + 8 * n_offsets, shape=(n_ids,))
        if n_ids
        else np.zeros(0, np.int32)
    )
    if n_offsets < 1 or offsets[0] != 0 or offsets[-1] != n_ids or np.any(np.diff(offsets) < 0):
        raise DataError(f"{path}: token file offsets are not increasing from 0 to {n_ids}")
    return TokenData(offsets, ids, path)


def pad_batch(rows, pad_id=0, device="cpu"):
    """Right-padded LongTensor [B, S] and attention mask [B, S] (1 = real token)."""
    width = max(len(r) for r in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        input_ids[i, : len(r)] = torch.as_tensor(np.asarray(r, dtype=np.int64))
        mask[i, : len(r)] = 1
    return input_ids.to(device), mask.to(device)


def length_buckets(lengths, max_tokens, max_rows=None):
    """Batches of row indices, rows sorted by length so padding stays small; each batch
    holds at most max_tokens padded tokens (at least one row)."""
    order = np.argsort(np.asarray(lengths), kind="stable")
    batches, current, width = [], [], 0
    for i in order:
        w = max(width, int(lengths[i]))
        if current and (w * (len(current) + 1) > max_tokens or (max_rows and len(current) >= max_rows)):
            batches.append(np.array(current))
            current, w = [], int(lengths[i])
        current.append(int(i))
        width = w
    if current:
        batches.append(np.array(current))
    return batches
