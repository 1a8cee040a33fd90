import numpy as np
import torch

from memsieve_torch.score import greedy_rows

from conftest import random_rows


def naive_greedy(model, prefix, n):
    """Full recomputation each step, one row at a time."""
    ids = torch.as_tensor(prefix, dtype=torch.long)[None]
    for _ in range(n):
        with torch.no_grad():
            logits = model.module(ids)[0, -1]
        ids = torch.cat([ids, logits.argmax().view(1, 1)], dim=1)
    return ids[0, len(prefix) :].tolist()


def test_static_kv_cache_greedy_equals_naive_greedy(tiny_dir):
    _, model = tiny_dir
    prefixes = torch.as_tensor(np.stack(random_rows(6, 37, 9, 9, seed=3)))
    got = model.greedy(prefixes, 12)
    for i in range(6):
        assert got[i].tolist() == naive_greedy(model, prefixes[i].numpy(), 12)


def test_greedy_rows_groups_mixed_prefix_lengths_and_keeps_order(tiny_dir):
    _, model = tiny_dir
    prefixes = random_rows(9, 37, 1, 15, seed=4)
    got = greedy_rows(model, prefixes, 7, batch_tokens=40)  # small budget: several batches per length
    assert got.dtype == np.int32 and got.shape == (9, 7)
    for i, p in enumerate(prefixes):
        assert got[i].tolist() == naive_greedy(model, p, 7)


def test_argmax_ties_go_to_the_lowest_id():
    logits = torch.tensor([[0.0, 3.0, 1.0, 3.0, 3.0]])
    assert logits.argmax(dim=-1).item() == 1
