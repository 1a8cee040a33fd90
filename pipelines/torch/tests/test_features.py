import math

import numpy as np
import torch

from memsieve_torch.features import PAIR_COLUMNS, naive_row_features
from memsieve_torch.models import TinyCausalLM, CausalLM
from memsieve_torch.score import greedy_rows, score_model, score_pairs

from conftest import TINY, random_rows


def naive_kl(t_logits, b_logits, tau):
    lt = torch.log_softmax(t_logits.double() / tau, -1)
    lb = torch.log_softmax(b_logits.double() / tau, -1)
    n = t_logits.shape[0]
    return sum((lt[j].exp() * (lt[j] - lb[j])).sum().item() for j in range(n - 1)) / (n - 1)


def close(a, b, rel=1e-4):
    if math.isnan(b):
        return math.isnan(a)
    return abs(a - b) <= rel * max(1.0, abs(b))


def make_pair():
    torch.manual_seed(5)
    teacher = CausalLM(TinyCausalLM(dict(TINY, model_type="memsieve_tiny")).eval(), "tiny")
    baseline = CausalLM(TinyCausalLM(dict(TINY, model_type="memsieve_tiny", num_hidden_layers=1)).eval(), "tiny")
    return teacher, baseline


def test_pair_features_match_a_naive_per_row_computation():
    teacher, baseline = make_pair()
    rows = random_rows(11, 37, 2, 30, seed=7) + [np.array([4]), np.array([], dtype=np.int64)]
    k, m = 8, 10
    for tau in (1.0, 2.0):
        got = score_pairs(teacher, baseline, rows, temperature=tau, prefix_tokens=k, suffix_tokens=m, batch_tokens=64)
        assert set(got) == set(PAIR_COLUMNS)
        for i, r in enumerate(rows):
            if len(r) < 2:
                assert all(math.isnan(got[c][i]) for c in PAIR_COLUMNS)
                continue
            ids = torch.as_tensor(r)[None]
            with torch.no_grad():
                zt, zb = teacher.module(ids)[0], baseline.module(ids)[0]
            t_nll, t_ent, t_lp = naive_row_features(zt, r.tolist(), k, m)
            b_nll, b_ent, b_lp = naive_row_features(zb, r.tolist(), k, m)
            expected = {
                "teacher_nll": t_nll, "baseline_nll": b_nll, "kl_teacher_baseline": naive_kl(zt, zb, tau),
                "teacher_suffix_entropy": t_ent, "baseline_suffix_entropy": b_ent,
                "teacher_suffix_logprob": t_lp, "baseline_suffix_logprob": b_lp,
            }
            for c, v in expected.items():
                assert close(got[c][i], v), (tau, i, len(r), c, got[c][i], v)
        assert any(math.isnan(got["teacher_suffix_entropy"][i]) for i, r in enumerate(rows) if 2 <= len(r) < k + m)
        assert any(not math.isnan(got["teacher_suffix_entropy"][i]) for i in range(len(rows)))


def test_batching_does_not_change_the_features():
    teacher, baseline = make_pair()
    rows = random_rows(17, 37, 2, 40, seed=8)
    small = score_pairs(teacher, baseline, rows, 1.0, 5, 5, batch_tokens=41)
    large = score_pairs(teacher, baseline, rows, 1.0, 5, 5, batch_tokens=100000)
    for c in PAIR_COLUMNS:
        np.testing.assert_allclose(small[c], large[c], rtol=1e-5, atol=1e-6)


def test_single_model_stats_equal_the_pair_teacher_columns():
    teacher, baseline = make_pair()
    rows = random_rows(6, 37, 3, 25, seed=9)
    pair = score_pairs(teacher, baseline, rows, 1.0, 4, 6)
    alone = score_model(teacher, rows, 4, 6)
    np.testing.assert_allclose(alone["nll"], pair["teacher_nll"], rtol=1e-6)
    np.testing.assert_allclose(alone["suffix_entropy"], pair["teacher_suffix_entropy"], rtol=1e-6)
    np.testing.assert_allclose(alone["suffix_logprob"], pair["teacher_suffix_logprob"], rtol=1e-6)


def numpy_min_k_reference(logits, ids, min_k):
    """Min-K% and Min-K%++ of one row in float64 numpy, straight from the papers' definitions."""
    z = logits.double().numpy()[: len(ids) - 1]
    lp = z - z.max(axis=1, keepdims=True)
    lp = lp - np.log(np.exp(lp).sum(axis=1, keepdims=True))
    p = np.exp(lp)
    target = lp[np.arange(len(ids) - 1), ids[1:]]
    mu = (p * lp).sum(axis=1)
    sigma = np.sqrt((p * lp * lp).sum(axis=1) - mu * mu)
    count = max(1, int(min_k * (len(ids) - 1)))
    return np.sort(target)[:count].mean(), np.sort((target - mu) / sigma)[:count].mean()


def test_score_columns_match_numpy_min_k_and_greedy_decoding():
    teacher, baseline = make_pair()
    rows = random_rows(14, 37, 2, 30, seed=21)
    k, m, min_k = 4, 5, 0.3
    got = score_pairs(teacher, baseline, rows, 1.0, k, m, batch_tokens=80, min_k=min_k)
    for who, model in (("teacher", teacher), ("baseline", baseline)):
        long_rows = [i for i, r in enumerate(rows) if len(r) >= k + m]
        # memorized / lead against real greedy decoding (KV cache) of each prefix
        generated = greedy_rows(model, [rows[i][:k] for i in long_rows], m)
        for g, i in zip(generated, long_rows):
            reference = rows[i][k : k + m]
            lead = int(np.argmin(np.append(g == reference, False)))
            assert got[f"{who}_lead"][i] == lead and got[f"{who}_memorized"][i] == float(lead == m), (who, i)
        assert all(math.isnan(got[f"{who}_lead"][i]) for i, r in enumerate(rows) if len(r) < k + m)
        for i, r in enumerate(rows):
            with torch.no_grad():
                logits = model.module(torch.as_tensor(r)[None])[0]
            mink, minkpp = numpy_min_k_reference(logits, r, min_k)
            assert close(got[f"{who}_mink"][i], mink, 1e-5), (who, i, got[f"{who}_mink"][i], mink)
            assert close(got[f"{who}_minkpp"][i], minkpp, 1e-4), (who, i, got[f"{who}_minkpp"][i], minkpp)


def test_memorized_rows_are_found_when_the_model_repeats_its_own_greedy_text():
    teacher, baseline = make_pair()
    prompts = random_rows(6, 37, 3, 3, seed=4)
    rows = [np.concatenate([p, g]) for p, g in zip(prompts, greedy_rows(teacher, prompts, 8).astype(np.int64))]
    got = score_pairs(teacher, baseline, rows, 1.0, 3, 8)
    assert got["teacher_memorized"].tolist() == [1.0] * 6 and got["teacher_lead"].tolist() == [8.0] * 6
