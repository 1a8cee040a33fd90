import math

import numpy as np
import torch

from memsieve_torch.features import PAIR_COLUMNS, naive_row_features
from memsieve_torch.models import TinyCausalLM, CausalLM
from memsieve_torch.score import score_model, score_pairs

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
