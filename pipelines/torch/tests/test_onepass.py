"""The audit's one-pass path: teacher-forced argmaxes decide memorized/lead exactly as naive greedy."""
import numpy as np
import pytest
import torch

from memsieve_torch.data import DataError
from memsieve_torch.score import teacher_forced_argmax
from memsieve_torch.tiny import make_tie

from conftest import random_rows
from test_greedy import naive_greedy
from memsieve_torch.framing import read_message
from test_worker import ask, framed, start


def lead_of(reference, generated):
    lead = 0
    while lead < len(reference) and reference[lead] == generated[lead]:
        lead += 1
    return lead


def test_one_pass_lead_equals_naive_greedy_lead(tiny_dir):
    _, model = tiny_dir
    k, m = 6, 8
    rows = random_rows(12, 37, k + m, k + m + 5, seed=21)
    # rows the model itself would generate: memorized by construction, so leads span 0..m
    for p in random_rows(6, 37, k, k, seed=22):
        rows.append(np.concatenate([p, np.array(naive_greedy(model, p, m + 2), dtype=np.int64)]))
    for r in rows[12:15]:  # and partial copies: the model's own tokens up to a point, then noise
        r[k + 3] = (r[k + 3] + 1) % 37
    window = [r[: k + m] for r in rows]
    got = teacher_forced_argmax(model, window, k, batch_tokens=40)
    assert got.dtype == np.int32 and got.shape == (len(rows) * m,)
    leads = []
    for i, r in enumerate(window):
        generated = naive_greedy(model, r[:k], m)
        predicted = got[i * m : (i + 1) * m]
        lead = lead_of(r[k:], predicted)
        assert lead == lead_of(r[k:], generated)
        if lead < m:
            assert predicted[lead] == generated[lead]  # the miss token is greedy's own
        leads.append(lead)
    assert m in leads and 0 in leads and any(0 < x < m for x in leads)


def test_ragged_rows_give_len_minus_start_argmaxes_each(tiny_dir):
    _, model = tiny_dir
    rows = random_rows(7, 37, 3, 20, seed=23)
    got = teacher_forced_argmax(model, rows, 3, batch_tokens=30)
    assert len(got) == sum(len(r) - 3 for r in rows)
    at = 0
    for r in rows:  # each row on its own, no padding: the same argmaxes
        alone = model.module(torch.as_tensor(r)[None])[0, 2:-1].argmax(dim=-1).tolist()
        assert got[at : at + len(r) - 3].tolist() == alone
        at += len(r) - 3


def test_exact_tie_goes_to_the_lowest_id_in_both_paths(tiny_dir):
    _, model = tiny_dir
    make_tie(model.module, 5, 11)
    row = np.array([3, 9, 1, 11, 11, 11, 5, 5], dtype=np.int64)
    logits = model.module(torch.as_tensor(row)[None])[0].detach()
    assert torch.equal(logits[:, 5], logits[:, 11]) and bool((logits[:, 5] > logits[:, [0, 1, 2, 3, 4, 6, 7]].max(dim=1).values).all())
    assert teacher_forced_argmax(model, [row], 1).tolist() == [5] * 7
    assert model.greedy(torch.as_tensor(row[:3])[None], 4)[0].tolist() == [5] * 4
    assert naive_greedy(model, row[:3], 4) == [5] * 4


def test_bad_start_is_a_user_error(tiny_dir):
    _, model = tiny_dir
    with pytest.raises(DataError, match="start 0"):
        teacher_forced_argmax(model, [np.arange(5)], 0)
    with pytest.raises(DataError, match="row 1 has fewer than start = 4"):
        teacher_forced_argmax(model, [np.arange(5), np.arange(3)], 4)


def test_worker_argmax_op_matches_in_process(tiny_dir):
    folder, model = tiny_dir
    rows = random_rows(5, 37, 10, 16, seed=24)
    proc = start("--model", folder, "--device", "cpu")
    try:
        ready, _ = read_message(proc.stdout)
        assert ready["ok"]
        header, arrays = ask(proc, {"op": "argmax", "id": 1, "start": 4}, framed(rows))
        assert header["ok"] and header["id"] == 1 and header["rows"] == 5
        assert arrays["tokens"].tolist() == teacher_forced_argmax(model, rows, 4).tolist()
        header, _ = ask(proc, {"op": "argmax", "id": 2, "start": 12}, framed(rows))
        assert not header["ok"] and header["kind"] == "user" and "fewer than start = 12" in header["error"]
        ask(proc, {"op": "shutdown", "id": 3})
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
