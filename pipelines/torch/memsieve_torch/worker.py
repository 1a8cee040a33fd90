"""Long-lived scoring/audit worker: framed requests on stdin, framed responses on stdout (docs/torch.md).

    python -m memsieve_torch.worker --teacher DIR --baseline DIR [--model DIR] [--device auto] [--dtype auto]

Ops: info, score (teacher + baseline → PairScores columns), stats (one model's nll and suffix
measures), greedy (continue prefixes by n tokens), argmax (teacher-forced argmaxes from position
`start`: the audit's one-pass path), shutdown. Every response echoes the request's `id`.
"""

import argparse
import os
import sys
import time
import traceback

import numpy as np
import torch

from .data import DataError
from .framing import FramingError, read_message, write_message
from .models import load_model, resolve_device, resolve_dtype
from .score import greedy_rows, score_model, score_pairs, teacher_forced_argmax


def rows_of(arrays, header):
    offsets, ids = arrays.get("offsets"), arrays.get("ids")
    if offsets is None or ids is None:
        raise DataError(f"op {header.get('op')} needs arrays 'offsets' (int64) and 'ids' (int32)")
    if offsets.dtype.itemsize != 8 or ids.dtype.itemsize != 4:
        raise DataError("offsets must be int64 and ids int32")
    if len(offsets) < 1 or offsets[0] != 0 or offsets[-1] != len(ids) or np.any(np.diff(offsets) < 0):
        raise DataError(f"offsets must rise from 0 to {len(ids)}")
    if len(ids) and ids.min() < 0:
        raise DataError("token ids must be ≥ 0")
    return [ids[offsets[i] : offsets[i + 1]].astype(np.int64) for i in range(len(offsets) - 1)]


class Worker:
    def __init__(self, models, batch_tokens):
        self.models = models
        self.batch_tokens = batch_tokens

    def model(self, name):
        if name not in self.models:
            raise DataError(f"no {name} model loaded (start the worker with --{name})")
        return self.models[name]

    def info(self):
        any_model = next(iter(self.models.values()))
        return {
            "vocab_size": any_model.vocab_size,
            "device": str(any_model.device),
            "dtype": str(any_model.dtype).replace("torch.", ""),
            "models": {name: {"path": m.path, "kind": m.kind, "vocab_size": m.vocab_size} for name, m in self.models.items()},
            "torch": torch.__version__,
        }, {}

    def handle(self, header, arrays):
        op = header.get("op")
        if op == "info":
            return self.info()
        if op == "score":
            columns = score_pairs(
                self.model("teacher"), self.model("baseline"), rows_of(arrays, header),
                temperature=float(header.get("temperature", 1.0)),
                prefix_tokens=int(header.get("prefix_tokens", 50)), suffix_tokens=int(header.get("suffix_tokens", 50)),
                batch_tokens=self.batch_tokens, min_k=float(header.get("min_k", 0.2)),
            )
            return {"rows": len(arrays["offsets"]) - 1}, columns
        if op == "stats":
            columns = score_model(
                self.model(header.get("model", "model")), rows_of(arrays, header),
                prefix_tokens=int(header.get("prefix_tokens", 50)), suffix_tokens=int(header.get("suffix_tokens", 50)),
                batch_tokens=self.batch_tokens,
            )
            return {"rows": len(arrays["offsets"]) - 1}, columns
        if op == "greedy":
            n = int(header.get("n", 0))
            if n < 0:
                raise DataError("greedy: n must be ≥ 0")
            tokens = greedy_rows(self.model(header.get("model", "model")), rows_of(arrays, header), n, self.batch_tokens)
            return {"rows": tokens.shape[0], "n": n}, {"tokens": tokens.reshape(-1)}
        if op == "argmax":
            rows = rows_of(arrays, header)
            tokens = teacher_forced_argmax(self.model(header.get("model", "model")), rows, int(header.get("start", 1)), self.batch_tokens)
            return {"rows": len(rows)}, {"tokens": tokens}
        raise DataError(f"unknown op {op!r} (info, score, stats, greedy, argmax, shutdown)")


def parse_args(argv):
    p = argparse.ArgumentParser(prog="memsieve_torch.worker", description=__doc__.splitlines()[0])
    p.add_argument("--teacher")
    p.add_argument("--baseline")
    p.add_argument("--model", help="the model `greedy`/`stats` use by default (the audited student)")
    p.add_argument("--device", default="auto")
    p.add_argument("--dtype", default="auto", help="weights: bfloat16 (default on CUDA), float16 or float32")
    p.add_argument("--batch-tokens", type=int, default=0, help="padded tokens per forward batch (default 65536 on CUDA, 4096 on CPU)")
    return p.parse_args(argv)


def main(argv=None):
    # The protocol owns fd 1; anything a library prints goes to stderr instead of corrupting a frame.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    stdin = sys.stdin.buffer
    args = parse_args(argv)
    try:
        device = resolve_device(args.device)
        dtype = resolve_dtype(args.dtype, device)
        if args.device.startswith("cuda") or device.type == "cuda":
            torch.backends.cuda.matmul.allow_tf32 = False  # float32 must mean float32 (kit tolerances)
            torch.backends.cudnn.allow_tf32 = False
        models = {}
        for name in ("teacher", "baseline", "model"):
            path = getattr(args, name)
            if path:
                models[name] = load_model(path, device, dtype)
        if not models:
            raise DataError("start the worker with at least one of --teacher, --baseline, --model")
        if "teacher" in models and "baseline" in models and models["teacher"].vocab_size != models["baseline"].vocab_size:
            raise DataError(
                f"teacher {args.teacher} has {models['teacher'].vocab_size} output tokens, baseline {args.baseline} "
                f"{models['baseline'].vocab_size}; they must share a tokenizer"
            )
    except DataError as error:
        write_message(out, {"op": "ready", "ok": False, "kind": "user", "error": str(error)})
        return 2
    batch_tokens = args.batch_tokens or (65536 if device.type == "cuda" else 4096)
    worker = Worker(models, batch_tokens)
    write_message(out, dict(worker.info()[0], op="ready", ok=True))
    while True:
        try:
            message = read_message(stdin)
        except FramingError as error:
            print(f"memsieve worker: bad request: {error}", file=sys.stderr)
            return 1
        if message is None:
            return 0
        header, arrays = message
        reply = {"op": header.get("op"), "id": header.get("id")}
        if header.get("op") == "shutdown":
            write_message(out, dict(reply, ok=True))
            return 0
        started = time.perf_counter()
        try:
            fields, result = worker.handle(header, arrays)
            write_message(out, dict(reply, ok=True, seconds=round(time.perf_counter() - started, 6), **fields), result)
        except DataError as error:
            write_message(out, dict(reply, ok=False, kind="user", error=str(error)))
        except Exception as error:  # keep serving; the client decides whether to stop
            traceback.print_exc(file=sys.stderr)
            write_message(out, dict(reply, ok=False, kind="internal", error=f"{type(error).__name__}: {error}"))


if __name__ == "__main__":
    sys.exit(main())
