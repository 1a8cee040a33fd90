import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from memsieve_torch.framing import encode_message, read_message
from memsieve_torch.models import load_model, save_tiny_checkpoint
from memsieve_torch.score import greedy_rows, score_model, score_pairs

from conftest import PKG, TINY, random_rows



def framed(rows):
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in rows], out=offsets[1:])
    ids = np.concatenate([np.asarray(r, np.int32) for r in rows]) if rows else np.zeros(0, np.int32)
    return {"offsets": offsets, "ids": ids}


def test_framing_round_trip():
    arrays = {"a": np.array([1.5, np.nan], np.float64), "b": np.array([7, -1], np.int32)}
    header, got = read_message(io.BytesIO(encode_message({"op": "x"}, arrays)))
    assert header["op"] == "x" and [s["name"] for s in header["arrays"]] == ["a", "b"]
    np.testing.assert_array_equal(got["a"], arrays["a"])
    assert got["b"].tolist() == [7, -1]


def start(*args):
    env = dict(os.environ, PYTHONPATH=PKG)
    return subprocess.Popen([sys.executable, "-m", "memsieve_torch.worker", *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def ask(proc, header, arrays=None):
    proc.stdin.write(encode_message(header, arrays))
    proc.stdin.flush()
    return read_message(proc.stdout)


def test_worker_round_trip_matches_in_process_results(tmp_path, tiny_dir):
    teacher_dir, _ = tiny_dir
    baseline_dir = str(tmp_path / "baseline")
    save_tiny_checkpoint(baseline_dir, dict(TINY, num_hidden_layers=1), seed=2)
    proc = start("--teacher", teacher_dir, "--baseline", baseline_dir, "--model", teacher_dir, "--device", "cpu", "--batch-tokens", "50")
    try:
        ready, _ = read_message(proc.stdout)
        assert ready["ok"] and ready["op"] == "ready" and ready["vocab_size"] == 37 and ready["dtype"] == "float32"
        rows = random_rows(9, 37, 1, 30, seed=12)
        header, cols = ask(proc, {"op": "score", "id": 1, "temperature": 2, "prefix_tokens": 5, "suffix_tokens": 6}, framed(rows))
        assert header["ok"] and header["id"] == 1 and header["rows"] == 9
        cpu = torch.device("cpu")
        teacher, baseline = load_model(teacher_dir, cpu), load_model(baseline_dir, cpu)
        expected = score_pairs(teacher, baseline, rows, 2.0, 5, 6)
        assert list(cols) == list(expected)
        for c in expected:
            np.testing.assert_allclose(cols[c], expected[c], rtol=1e-6)
        prefixes = random_rows(5, 37, 2, 6, seed=13)
        header, out = ask(proc, {"op": "greedy", "id": 2, "n": 4}, framed(prefixes))
        assert header["ok"] and header["n"] == 4
        assert out["tokens"].reshape(5, 4).tolist() == greedy_rows(teacher, prefixes, 4).tolist()
        header, out = ask(proc, {"op": "stats", "id": 3, "model": "teacher", "prefix_tokens": 5, "suffix_tokens": 6}, framed(rows))
        np.testing.assert_allclose(out["nll"], expected["teacher_nll"], rtol=1e-6)
        header, _ = ask(proc, {"op": "greedy", "id": 4, "n": 2}, framed([np.array([40])]))  # id beyond the vocabulary
        assert not header["ok"] and header["kind"] == "user" and "vocabulary" in header["error"]
        header, _ = ask(proc, {"op": "bogus", "id": 5})
        assert not header["ok"] and "unknown op" in header["error"]
        header, info = ask(proc, {"op": "info", "id": 6})
        assert header["ok"] and set(header["models"]) == {"teacher", "baseline", "model"}
        header, _ = ask(proc, {"op": "shutdown", "id": 7})
        assert header["ok"]
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
        proc.wait()


def test_worker_start_errors_are_framed_messages(tmp_path, tiny_dir):
    teacher_dir, _ = tiny_dir
    other = str(tmp_path / "other")
    save_tiny_checkpoint(other, dict(TINY, vocab_size=50), seed=2)
    for args, needle in (
        (["--teacher", teacher_dir, "--baseline", other, "--device", "cpu"], "share a tokenizer"),
        (["--teacher", str(tmp_path / "nowhere"), "--device", "cpu"], "no such checkpoint"),
    ):
        proc = start(*args)
        ready, _ = read_message(proc.stdout)
        assert proc.wait(timeout=60) == 2
        assert not ready["ok"] and needle in ready["error"], ready
