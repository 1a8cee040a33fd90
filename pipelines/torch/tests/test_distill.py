import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from memsieve_torch.data import TokenData, read_token_file, write_token_file
from memsieve_torch.distill import hard_kd_data, learning_rate
from memsieve_torch.models import load_model, save_tiny_checkpoint

from conftest import PKG, TINY, random_rows
from test_greedy import naive_greedy



def run_distill(*args):
    env = dict(os.environ, PYTHONPATH=PKG)
    p = subprocess.run([sys.executable, "-m", "memsieve_torch.distill", *args], capture_output=True, text=True, env=env, timeout=300)
    events = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    return p.returncode, events, p.stderr


@pytest.mark.parametrize("batch_tokens", [16384, 20])
def test_hard_kd_data_is_the_teachers_greedy_continuation_of_each_prefix(tiny_dir, tmp_path, batch_tokens):
    _, teacher = tiny_dir
    rows = random_rows(7, 37, 3, 20, seed=11) + random_rows(5, 37, 12, 12, seed=12)
    k = 6
    work = tmp_path / "work"
    work.mkdir()
    source, path = str(work / "in.tokens"), str(work / "hard.tokens")
    write_token_file(source, TokenData.from_rows(rows))
    out = hard_kd_data(teacher, read_token_file(source), k, path, batch_tokens=batch_tokens)
    assert out.path == path and sorted(os.listdir(work)) == ["hard.tokens", "in.tokens"]
    assert read_token_file(path).offsets.tolist() == read_token_file(source).offsets.tolist()
    assert len(out) == len(rows)
    for i, r in enumerate(rows):
        got = out.row(i).tolist()
        assert len(got) == len(r)
        if len(r) <= k:
            assert got == r.tolist()
        else:
            assert got[:k] == r[:k].tolist()
            assert got[k:] == naive_greedy(teacher, r[:k], len(r) - k)


def test_hard_kd_data_failure_leaves_no_file(tiny_dir, tmp_path):
    _, teacher = tiny_dir
    rows = [np.arange(10, dtype=np.int64), np.full(10, 999, dtype=np.int64)]  # 999: outside the vocabulary
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(Exception, match="vocabulary"):
        hard_kd_data(teacher, TokenData.from_rows(rows), 4, str(work / "hard.tokens"), batch_tokens=10)
    assert os.listdir(work) == []


def test_learning_rate_warms_up_then_decays_by_cosine():
    lrs = [learning_rate(s, 100, 1e-3, 10, 1e-5, "cosine") for s in range(100)]
    assert lrs[0] == pytest.approx(1e-4) and lrs[9] == pytest.approx(1e-3)
    assert lrs[10] == pytest.approx(1e-3)
    assert lrs[55] == pytest.approx(1e-5 + 0.5 * (1e-3 - 1e-5))  # halfway through the decay
    assert all(a >= b for a, b in zip(lrs[10:], lrs[11:]))
    assert learning_rate(50, 100, 1e-3, 0, 0, "constant") == 1e-3


@pytest.fixture
def corpus(tmp_path):
    # a repetitive corpus so a few steps visibly lower the loss
    g = torch.Generator().manual_seed(0)
    base = [torch.randint(0, 37, (24,), generator=g).numpy() for _ in range(4)]
    rows = [base[i % 4] for i in range(32)]
    train, val = str(tmp_path / "train.tokens"), str(tmp_path / "val.tokens")
    write_token_file(train, TokenData.from_rows(rows))
    write_token_file(val, TokenData.from_rows(base))
    return train, val


@pytest.mark.parametrize("mode", ["soft", "hard", "ce"])
def test_distill_lowers_validation_loss_and_is_deterministic(tmp_path, tiny_dir, corpus, mode):
    teacher_dir, _ = tiny_dir
    train, val = corpus
    outs = []
    for run in range(2):
        out = str(tmp_path / f"student-{mode}-{run}")
        args = ["--mode", mode, "--student-config", teacher_dir, "--data", train, "--validation", val, "--out", out,
                "--epochs", "3", "--lr", "3e-3", "--batch-size", "8", "--grad-accum", "2", "--warmup-steps", "2",
                "--seed", "3", "--device", "cpu", "--log-every", "1", "--prefix-tokens", "8"]
        if mode != "ce":
            args += ["--teacher", teacher_dir]
        code, events, stderr = run_distill(*args)
        assert code == 0, stderr
        kinds = [e["event"] for e in events]
        assert kinds[0] in ("start", "hard_data") and kinds[-1] == "done"
        epochs = [e for e in events if e["event"] == "epoch"]
        assert len(epochs) == 3 and all(math.isfinite(e["val_ppl"]) for e in epochs)
        assert len([e for e in events if e["event"] == "step"]) == 12  # 32 rows / 8 per step × 3 epochs
        if mode == "ce":
            assert epochs[-1]["val_loss"] < epochs[0]["val_loss"]
        assert os.path.exists(os.path.join(out, "model.pt")) and os.path.exists(os.path.join(out, "distill.json"))
        outs.append(out)
    assert not [f for f in os.listdir(tmp_path) if ".resume" in f or ".tmp-" in f]  # resume folder and temp files removed
    a, b = (load_model(o, torch.device("cpu")).module.state_dict() for o in outs)
    for name in a:
        assert torch.equal(a[name], b[name]), name


def test_soft_kd_moves_the_student_toward_the_teacher(tmp_path, tiny_dir, corpus):
    teacher_dir, teacher = tiny_dir
    train, _ = corpus
    out = str(tmp_path / "student")
    student_init = save_tiny_checkpoint(str(tmp_path / "init"), dict(TINY, num_hidden_layers=1), seed=9)
    code, _, stderr = run_distill("--mode", "soft", "--teacher", teacher_dir, "--student", str(tmp_path / "init"),
                                  "--data", train, "--out", out, "--epochs", "4", "--lr", "1e-2", "--batch-size", "8", "--device", "cpu")
    assert code == 0, stderr
    student = load_model(out, torch.device("cpu"))
    ids = torch.as_tensor(read_token_file(train).row(0))[None]

    def kl(model):
        with torch.no_grad():
            lt = torch.log_softmax(teacher.module(ids)[0] / 2, -1)
            ls = torch.log_softmax(model.module(ids)[0] / 2, -1)
        return (lt.exp() * (lt - ls)).sum(-1).mean().item()

    student_init.module.eval()
    assert kl(student) < 0.7 * kl(student_init)


def test_bad_input_gives_one_clear_error(tmp_path, tiny_dir, corpus):
    teacher_dir, _ = tiny_dir
    train, _ = corpus
    other = str(tmp_path / "other")
    save_tiny_checkpoint(other, dict(TINY, vocab_size=50), seed=2)
    code, events, _ = run_distill("--mode", "soft", "--teacher", teacher_dir, "--student-config", other, "--data", train,
                                  "--out", str(tmp_path / "o1"), "--device", "cpu")
    assert code == 2 and events[-1]["event"] == "error" and "vocabulary" in events[-1]["message"]
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "config.json").write_text(json.dumps(dict(TINY, model_type="memsieve_tiny")))
    code, events, _ = run_distill("--mode", "ce", "--student", str(empty), "--data", train, "--out", str(tmp_path / "o2"), "--device", "cpu")
    assert code == 2 and "has no weights" in events[-1]["message"]
    if not torch.cuda.is_available():
        code, events, stderr = run_distill("--mode", "ce", "--student-config", teacher_dir, "--data", train,
                                           "--out", str(tmp_path / "o3"), "--device", "cuda")
        assert code == 2 and "no CUDA device" in events[-1]["message"] and "Traceback" not in stderr
    assert not any(p.name.startswith(("o1", "o2", "o3")) for p in tmp_path.iterdir())  # no output after a failure


@pytest.mark.parametrize("mode", ["soft", "hard"])
def test_a_killed_run_resumes_from_its_last_epoch_to_the_uninterrupted_weights(tmp_path, tiny_dir, corpus, mode):
    teacher_dir, _ = tiny_dir
    train, val = corpus
    env = dict(os.environ, PYTHONPATH=PKG)

    def args(out):
        return [sys.executable, "-m", "memsieve_torch.distill", "--mode", mode, "--teacher", teacher_dir, "--student-config", teacher_dir,
                "--data", train, "--validation", val, "--out", out, "--epochs", "4", "--lr", "3e-3", "--batch-size", "8",
                "--warmup-steps", "2", "--seed", "5", "--device", "cpu", "--prefix-tokens", "8"]

    whole = str(tmp_path / "whole")
    assert subprocess.run(args(whole), capture_output=True, env=env, timeout=300).returncode == 0

    # kill -9 as soon as epoch 2 is reported (its resume point is written before the report)
    out = str(tmp_path / "resumed")
    p = subprocess.Popen(args(out), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    for line in p.stdout:
        if json.loads(line).get("epoch") == 2 and json.loads(line)["event"] == "epoch":
            p.kill()
            break
    p.wait(timeout=60)
    assert not os.path.exists(out) and os.path.exists(out + ".resume/state.pt")

    code, events, stderr = run_distill(*args(out)[3:])
    assert code == 0, stderr
    kinds = [e["event"] for e in events]
    assert {"event": "resume", "epoch": 2, "step": 8} in events  # 32 rows / 8 per step: 4 steps an epoch
    assert [e["epoch"] for e in events if e["event"] == "epoch"] == [3, 4]
    if mode == "hard":
        assert [e["reused"] for e in events if e["event"] == "hard_data"] == [True]
    assert kinds[-1] == "done" and not os.path.exists(out + ".resume")
    a, b = (load_model(o, torch.device("cpu")).module.state_dict() for o in (whole, out))
    for name in a:
        assert torch.equal(a[name], b[name]), name
    history = lambda o: json.load(open(os.path.join(o, "distill.json")))["history"]
    assert history(out) == history(whole)


def test_a_resume_point_is_not_used_once_the_teacher_changed(tmp_path, tiny_dir, corpus):
    teacher_dir, _ = tiny_dir
    train, _ = corpus
    out = str(tmp_path / "student")
    args = ["--mode", "soft", "--teacher", teacher_dir, "--student-config", teacher_dir, "--data", train, "--out", out,
            "--epochs", "3", "--batch-size", "8", "--device", "cpu"]
    env = dict(os.environ, PYTHONPATH=PKG)
    p = subprocess.Popen([sys.executable, "-m", "memsieve_torch.distill", *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    for line in p.stdout:
        if json.loads(line)["event"] == "epoch":
            p.kill()
            break
    p.wait(timeout=60)
    assert os.path.exists(out + ".resume/state.pt")
    weights = os.path.join(teacher_dir, sorted(f for f in os.listdir(teacher_dir) if f != "config.json")[0])
    os.utime(weights, ns=(os.stat(weights).st_atime_ns, os.stat(weights).st_mtime_ns + 10**9))  # "retrained" in place
    code, events, stderr = run_distill(*args)
    assert code == 0, stderr
    assert "resume" not in [e["event"] for e in events]
    assert len([e for e in events if e["event"] == "epoch"]) == 3


def test_a_resume_point_of_other_arguments_is_not_used(tmp_path, tiny_dir, corpus):
    teacher_dir, _ = tiny_dir
    train, _ = corpus
    out = str(tmp_path / "student")
    common = ["--mode", "ce", "--student-config", teacher_dir, "--data", train, "--out", out, "--epochs", "2", "--batch-size", "8", "--device", "cpu"]
    os.makedirs(out + ".resume")
    with open(out + ".resume/fingerprint", "w") as f:
        f.write("another run")
    torch.save({"epoch": 1}, out + ".resume/state.pt")
    code, events, stderr = run_distill(*common)
    assert code == 0, stderr
    assert "resume" not in [e["event"] for e in events]
    assert len([e for e in events if e["event"] == "epoch"]) == 2
