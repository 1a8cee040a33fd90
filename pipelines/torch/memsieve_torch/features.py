"""Per-row scoring features from logits (definitions: fixtures/brown-tiny/README.md, docs/features.md).

Log-softmax runs in float32 whatever the model dtype; at most `chunk_rows` rows of float32
log-probabilities exist at a time. Position j predicts ids[j+1]; a row of n tokens has n−1 of them."""

import math

import numpy as np
import torch
import torch.nn.functional as F

MODEL_COLUMNS = ("nll", "suffix_entropy", "suffix_logprob")


def chunk_rows_for(seq_len, vocab, budget_bytes=256 << 20):
    """Rows per float32 chunk so that one [rows, seq, vocab] log-probability block stays under budget."""
    return max(1, budget_bytes // max(1, seq_len * vocab * 4))


def _entropy(logprobs):
    p = logprobs.exp()
    return -torch.where(p > 0, p * logprobs, torch.zeros_like(p)).sum(dim=-1)


def _model_stats(logprobs, input_ids, lengths, prefix_tokens, suffix_tokens, out, rows):
    """nll / suffix entropy / suffix log-prob of a chunk, written to out[name][rows]."""
    targets = input_ids[:, 1:]
    token_logprob = logprobs.gather(-1, targets[..., None]).squeeze(-1).double()
    positions = torch.arange(targets.shape[1], device=targets.device)
    valid = positions[None, :] < (lengths - 1)[:, None]
    nll = -(token_logprob * valid).sum(dim=1) / (lengths - 1).double()
    out["nll"][rows] = nll.cpu().numpy()
    k, m = prefix_tokens, suffix_tokens
    has_suffix = (lengths >= k + m).cpu().numpy()
    if m > 0 and k >= 1 and logprobs.shape[1] >= k + m - 1 and has_suffix.any():
        window = slice(k - 1, k + m - 1)  # positions predicting ids[k : k+m]
        entropy = _entropy(logprobs[:, window]).double().mean(dim=1).cpu().numpy()
        logprob = token_logprob[:, window].sum(dim=1).cpu().numpy()
        out["suffix_entropy"][rows[has_suffix]] = entropy[has_suffix]
        out["suffix_logprob"][rows[has_suffix]] = logprob[has_suffix]
    return valid


def new_columns(names, n):
    return {name: np.full(n, np.nan, dtype=np.float64) for name in names}


def model_features_into(logits, input_ids, lengths, rows, prefix_tokens, suffix_tokens, out, budget_bytes=256 << 20):
    """One model's columns for a right-padded batch (lengths ≥ 2); rows = output indices."""
    step = chunk_rows_for(logits.shape[1], logits.shape[2], budget_bytes)
    for a in range(0, logits.shape[0], step):
        b = slice(a, a + step)
        logprobs = F.log_softmax(logits[b, :-1].float(), dim=-1)
        _model_stats(logprobs, input_ids[b], lengths[b], prefix_tokens, suffix_tokens, out, rows[b])


def pair_features_into(teacher_logits, baseline_logits, input_ids, lengths, rows, temperature, prefix_tokens, suffix_tokens, out, budget_bytes=256 << 20):
    """Teacher and baseline columns plus kl_teacher_baseline: mean over predicting positions of
    KL(softmax(z_t/τ) ‖ softmax(z_b/τ)), no τ² factor."""
    if teacher_logits.shape[-1] != baseline_logits.shape[-1]:
        raise ValueError(f"teacher and baseline vocabularies differ ({teacher_logits.shape[-1]} vs {baseline_logits.shape[-1]})")
    step = max(1, chunk_rows_for(teacher_logits.shape[1], teacher_logits.shape[2], budget_bytes) // 2)
    for a in range(0, teacher_logits.shape[0], step):
        b = slice(a, a + step)
        stats = {}
        lp = {}
        for who, logits in (("teacher", teacher_logits), ("baseline", baseline_logits)):
            lp[who] = F.log_softmax(logits[b, :-1].float(), dim=-1)
            stats[who] = {name: out[f"{who}_{name}"] for name in MODEL_COLUMNS}
            valid = _model_stats(lp[who], input_ids[b], lengths[b], prefix_tokens, suffix_tokens, stats[who], rows[b])
        if temperature == 1:
            lt, lb = lp["teacher"], lp["baseline"]
        else:
            del lp
            lt = F.log_softmax(teacher_logits[b, :-1].float() / temperature, dim=-1)
            lb = F.log_softmax(baseline_logits[b, :-1].float() / temperature, dim=-1)
        kl = (lt.exp() * (lt - lb)).sum(dim=-1).double()
        out["kl_teacher_baseline"][rows[b]] = ((kl * valid).sum(dim=1) / (lengths[b] - 1).double()).cpu().numpy()


PAIR_COLUMNS = (
    "teacher_nll",
    "baseline_nll",
    "kl_teacher_baseline",
    "teacher_suffix_entropy",
    "baseline_suffix_entropy",
    "teacher_suffix_logprob",
    "baseline_suffix_logprob",
)


def naive_row_features(logits, ids, prefix_tokens, suffix_tokens):
    """Reference for tests: one row, plain Python sums in float64 from a float64 log-softmax."""
    lp = torch.log_softmax(logits.double(), dim=-1)
    n = len(ids)
    nll = -sum(lp[j, ids[j + 1]].item() for j in range(n - 1)) / (n - 1)
    k, m = prefix_tokens, suffix_tokens
    ent = lp_sum = math.nan
    if n >= k + m:
        ent = sum(-(lp[j].exp() * lp[j]).sum().item() for j in range(k - 1, k + m - 1)) / m
        lp_sum = sum(lp[j, ids[j + 1]].item() for j in range(k - 1, k + m - 1))
    return nll, ent, lp_sum
