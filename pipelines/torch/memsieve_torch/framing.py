"""One framing for the worker's messages and the token file (docs/torch.md).

A message is one JSON header line, then the raw little-endian arrays it lists in `arrays`,
back to back in that order. Readable with numpy alone.
"""

import json

import numpy as np

DTYPES = {"int32": np.dtype("<i4"), "int64": np.dtype("<i8"), "float32": np.dtype("<f4"), "float64": np.dtype("<f8")}


class FramingError(Exception):
    pass


def _dtype_name(array):
    for name, dtype in DTYPES.items():
        if array.dtype == dtype or array.dtype == dtype.newbyteorder("="):
            return name
    raise FramingError(f"array dtype {array.dtype} cannot be framed (use one of {', '.join(DTYPES)})")


def header_line(header, specs):
    """The header line (bytes) of a message whose arrays are `specs`: [{"name", "dtype", "length"}]."""
    return (json.dumps(dict(header, arrays=specs), separators=(",", ":"), allow_nan=False) + "\n").encode("utf-8")


def encode_message(header, arrays=None):
    """Bytes of one message: header (a dict, without `arrays`) plus named numpy arrays."""
    specs, payload = [], []
    for name, array in (arrays or {}).items():
        dtype_name = _dtype_name(array)
        flat = np.ascontiguousarray(array, dtype=DTYPES[dtype_name]).reshape(-1)
        specs.append({"name": name, "dtype": dtype_name, "length": int(flat.size)})
        payload.append(flat.tobytes())
    return header_line(header, specs) + b"".join(payload)


def write_message(stream, header, arrays=None):
    stream.write(encode_message(header, arrays))
    stream.flush()


def _read_exact(stream, size):
    chunks, left = [], size
    while left > 0:
        chunk = stream.read(left)
        if not chunk:
            raise FramingError(f"stream ended inside a message ({size - left} of {size} payload bytes)")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def parse_header(line):
    try:
        header = json.loads(line)
    except ValueError as error:
        raise FramingError(f"header is not JSON: {error}") from None
    if not isinstance(header, dict):
        raise FramingError("header is not a JSON object")
    for spec in header.get("arrays", []):
        if spec.get("dtype") not in DTYPES or not isinstance(spec.get("length"), int) or spec["length"] < 0:
            raise FramingError(f"bad array spec {spec!r}")
    return header


def read_message(stream):
    """(header, {name: array}) of the next message, or None at end of stream."""
    line = stream.readline()
    if not line:
        return None
    header = parse_header(line)
    arrays = {}
    for spec in header.get("arrays", []):
        dtype = DTYPES[spec["dtype"]]
        arrays[spec["name"]] = np.frombuffer(_read_exact(stream, spec["length"] * dtype.itemsize), dtype=dtype)
    return header, arrays
