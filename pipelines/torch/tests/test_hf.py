"""Hugging Face loading, scoring against the kit's golden values, greedy, distill and export.
Needs transformers (+ pyarrow, tokenizers, onnxruntime): runs on the GPU machine, skipped elsewhere."""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

transformers = pytest.importorskip("transformers", reason="transformers is not installed here: Hugging Face loading/export tests run on the GPU machine")
pa_parquet = pytest.importorskip("pyarrow.parquet", reason="pyarrow is not installed here: kit golden comparisons run on the GPU machine")
tokenizers = pytest.importorskip("tokenizers", reason="tokenizers is not installed here")

from memsieve_torch.data import TokenData, write_token_file  # noqa: E402
from memsieve_torch.models import load_model  # noqa: E402
from memsieve_torch.score import greedy_rows, score_model, score_pairs, teacher_forced_argmax  # noqa: E402

from conftest import PKG  # noqa: E402
KIT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "fixtures", "brown-tiny")
DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
ROWS = int(os.environ.get("MEMSIEVE_HF_ROWS", "5300" if DEVICE.type == "cuda" else "200"))


@pytest.fixture(scope="module")
def kit():
    tok = tokenizers.Tokenizer.from_file(os.path.join(KIT, "tokenizer.json"))
    corpus = pa_parquet.read_table(os.path.join(KIT, "corpus.parquet")).slice(0, ROWS)
    golden = pa_parquet.read_table(os.path.join(KIT, "golden.parquet")).slice(0, ROWS).to_pydict()
    rows = [np.array(tok.encode(t, add_special_tokens=False).ids[:128], dtype=np.int64) for t in corpus.column("text").to_pylist()]
    assert [len(r) for r in rows] == golden["n_tokens"]
    return rows, golden


def rel_diff(got, want):
    got, want = np.asarray(got, float), np.asarray(want, float)
    return float(np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want))))


def with_onnx_float32_weights(model, onnx_path):
    """The kit's HF folders hold float16 weights; its golden values come from the float32 weights in
    the ONNX files. Put those back: each parameter takes the ONNX initializer (or its transpose)
    that rounds to exactly its float16 value."""
    onnx = pytest.importorskip("onnx", reason="onnx is not installed here")
    from onnx import numpy_helper

    inits = [numpy_helper.to_array(i) for i in onnx.load(onnx_path).graph.initializer]
    inits = [a for a in inits if a.dtype == np.float32 and a.size > 1]
    state = model.module.state_dict()
    for name, p in state.items():
        if not p.is_floating_point() or p.numel() <= 1:
            continue
        want = p.detach().cpu().to(torch.float16).numpy()
        match = None
        for a in inits:
            for cand in (a, a.T if a.ndim == 2 else None):
                if cand is not None and cand.shape == want.shape and np.array_equal(cand.astype(np.float16), want):
                    match = cand
                    break
            if match is not None:
                break
        assert match is not None, f"no float32 ONNX initializer for {name}"
        state[name] = torch.from_numpy(np.ascontiguousarray(match))
    model.module.load_state_dict(state)
    return model


@pytest.fixture(scope="module")
def pair16():
    """The HF checkpoints as shipped (float16 weights, run in float32)."""
    torch.backends.cuda.matmul.allow_tf32 = False
    return load_model(os.path.join(KIT, "hf", "teacher"), DEVICE, torch.float32), load_model(os.path.join(KIT, "hf", "baseline"), DEVICE, torch.float32)


@pytest.fixture(scope="module")
def pair32():
    torch.backends.cuda.matmul.allow_tf32 = False
    return tuple(
        with_onnx_float32_weights(load_model(os.path.join(KIT, "hf", who), DEVICE, torch.float32), os.path.join(KIT, f"{who}.onnx"))
        for who in ("teacher", "baseline")
    )


def test_float16_checkpoints_score_close_to_the_golden_values(kit, pair16):
    """Rounding the weights to float16 moves the sums near zero (suffix log-prob of memorized rows)
    by a few 1e-3 absolute; nll and KL stay within the kit tolerance."""
    rows, golden = kit
    got = score_pairs(*pair16, rows, 1.0, 50, 50)
    diffs = {
        "teacher_nll": rel_diff(got["teacher_nll"], golden["nll_teacher"]),
        "kl_tb_T1": rel_diff(got["kl_teacher_baseline"], golden["kl_tb_T1"]),
        "teacher_suffix_logprob": rel_diff(got["teacher_suffix_logprob"], golden["suf_logprob_teacher"]),
    }
    print("float16-weight checkpoints, max relative diff vs golden:", json.dumps(diffs))
    assert diffs["teacher_nll"] <= 1e-3 and diffs["kl_tb_T1"] <= 1e-3 and diffs["teacher_suffix_logprob"] <= 1e-2


def test_float32_scores_match_the_kit_golden_values(kit, pair32):
    rows, golden = kit
    teacher, baseline = pair32
    diffs = {}
    for tau, kl_col in ((1.0, "kl_tb_T1"), (2.0, "kl_tb_T2")):
        got = score_pairs(teacher, baseline, rows, tau, 50, 50)
        diffs[kl_col] = rel_diff(got["kl_teacher_baseline"], golden[kl_col])
    diffs.update(
        teacher_nll=rel_diff(got["teacher_nll"], golden["nll_teacher"]),
        baseline_nll=rel_diff(got["baseline_nll"], golden["nll_baseline"]),
        teacher_suffix_entropy=rel_diff(got["teacher_suffix_entropy"], golden["suf_entropy_teacher"]),
        baseline_suffix_entropy=rel_diff(got["baseline_suffix_entropy"], golden["suf_entropy_baseline"]),
        teacher_suffix_logprob=rel_diff(got["teacher_suffix_logprob"], golden["suf_logprob_teacher"]),
    )
    print("float32 max relative diff vs golden:", json.dumps(diffs))
    assert max(diffs.values()) <= 1e-3, diffs


def test_bfloat16_scores_stay_within_the_documented_tolerance(kit):
    if DEVICE.type != "cuda":
        pytest.skip("bf16 scoring is measured on CUDA")
    rows, golden = kit
    teacher = load_model(os.path.join(KIT, "hf", "teacher"), DEVICE, torch.bfloat16)
    baseline = load_model(os.path.join(KIT, "hf", "baseline"), DEVICE, torch.bfloat16)
    got = score_pairs(teacher, baseline, rows, 1.0, 50, 50)
    diffs = {
        "teacher_nll": rel_diff(got["teacher_nll"], golden["nll_teacher"]),
        "baseline_nll": rel_diff(got["baseline_nll"], golden["nll_baseline"]),
        "kl_tb_T1": rel_diff(got["kl_teacher_baseline"], golden["kl_tb_T1"]),
    }
    print("bfloat16 max relative diff vs golden:", json.dumps(diffs))
    assert max(diffs.values()) <= 5e-2, diffs


def test_greedy_memorization_flags_match_the_kit(kit, pair32):
    rows, golden = kit
    teacher, _ = pair32
    student = load_model(os.path.join(KIT, "hf", "student"), DEVICE, torch.float32)
    for model, col in ((teacher, "mem_teacher"), (student, "mem_student")):
        generated = greedy_rows(model, [r[:50] for r in rows], 50)
        mem = [bool(np.array_equal(generated[i], rows[i][50:100])) for i in range(len(rows))]
        agree = np.mean(np.array(mem) == np.array(golden[col]))
        print(f"{col}: {sum(mem)} memorized, agreement with golden {agree:.5f}")
        assert agree >= 0.999


def test_one_pass_memorization_and_lead_match_the_kit(kit, pair32):
    """The audit's one-pass path on Hugging Face checkpoints: memorized and lead from teacher-forced argmaxes."""
    rows, golden = kit
    teacher, baseline = pair32
    student = load_model(os.path.join(KIT, "hf", "student"), DEVICE, torch.float32)
    for model, name in ((teacher, "teacher"), (baseline, "baseline"), (student, "student")):
        predicted = teacher_forced_argmax(model, [r[:100] for r in rows], 50).reshape(len(rows), 50)
        hits = predicted == np.stack([r[50:100] for r in rows])
        lead = np.where(hits.all(axis=1), 50, np.argmin(hits, axis=1))
        mem_agree = np.mean((lead == 50) == np.array(golden[f"mem_{name}"]))
        lead_agree = np.mean(lead == np.array(golden[f"lead_{name}"]))
        print(f"one-pass {name}: {int((lead == 50).sum())} memorized, agreement with golden mem {mem_agree:.5f}, lead {lead_agree:.5f}")
        assert mem_agree >= 0.999 and lead_agree >= 0.99


def test_hf_static_cache_greedy_equals_naive_greedy(kit, pair32):
    rows, _ = kit
    teacher, _ = pair32
    prefixes = [r[:20] for r in rows[:6]]
    got = greedy_rows(teacher, prefixes, 15)
    for i, p in enumerate(prefixes):
        ids = torch.as_tensor(p, device=DEVICE)[None]
        for _ in range(15):
            with torch.no_grad():
                nxt = teacher.module(input_ids=ids).logits[0, -1].argmax()
            ids = torch.cat([ids, nxt.view(1, 1)], dim=1)
        assert got[i].tolist() == ids[0, 20:].tolist()


def test_worker_process_serves_hf_checkpoints(kit, tmp_path):
    from test_worker import ask, framed, start

    rows, golden = kit
    proc = start("--teacher", os.path.join(KIT, "hf", "teacher"), "--baseline", os.path.join(KIT, "hf", "baseline"),
                 "--device", DEVICE.type, "--dtype", "float32")
    try:
        from memsieve_torch.framing import read_message

        ready, _ = read_message(proc.stdout)
        assert ready["ok"], ready
        header, cols = ask(proc, {"op": "score", "id": 1, "temperature": 1, "prefix_tokens": 50, "suffix_tokens": 50}, framed(rows[:64]))
        assert header["ok"], header
        assert rel_diff(cols["teacher_nll"], golden["nll_teacher"][:64]) <= 1e-3
        ask(proc, {"op": "shutdown"})
    finally:
        proc.kill()
        proc.wait()


def test_distill_trains_and_saves_a_hugging_face_student(kit, tmp_path):
    rows, _ = kit
    data = str(tmp_path / "train.tokens")
    write_token_file(data, TokenData.from_rows(rows[:256]))
    out = str(tmp_path / "student")
    args = [sys.executable, "-m", "memsieve_torch.distill", "--mode", "soft", "--teacher", os.path.join(KIT, "hf", "teacher"),
            "--student-config", os.path.join(KIT, "hf", "baseline"), "--data", data, "--validation", data, "--out", out,
            "--epochs", "2", "--lr", "1e-3", "--batch-size", "64", "--warmup-steps", "2", "--device", DEVICE.type]
    if DEVICE.type == "cuda":
        args.append("--bf16")
    p = subprocess.run(args, capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=PKG), timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    events = [json.loads(line) for line in p.stdout.splitlines()]
    epochs = [e for e in events if e["event"] == "epoch"]
    print("HF distill epochs:", epochs)
    assert epochs[-1]["val_loss"] < epochs[0]["val_loss"]
    assert os.path.exists(os.path.join(out, "model.safetensors"))
    student = load_model(out, DEVICE, torch.float32)
    assert student.vocab_size == 2048


def test_export_graphs_match_pytorch(tmp_path):
    pytest.importorskip("onnxruntime", reason="onnxruntime (Python) is not installed here")
    out = str(tmp_path / "onnx")
    p = subprocess.run([sys.executable, "-m", "memsieve_torch.export", "--checkpoint", os.path.join(KIT, "hf", "student"), "--out", out],
                       capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=PKG), timeout=600)
    print(p.stdout[-2000:], p.stderr[-3000:])
    assert p.returncode == 0
    report = json.load(open(os.path.join(out, "export.json")))
    assert report["logits_max_abs_diff"] < 1e-3 and report["kv_max_abs_diff"] < 1e-3
