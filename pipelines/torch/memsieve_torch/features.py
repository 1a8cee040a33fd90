"""Per-row scoring features from logits (definitions: fixtures/brown-tiny/README.md, docs/features.md).

Log-softmax runs in float32 whatever the model dtype; at most `chunk_rows` rows of float32
log-probabilities exist at a time. Position j predicts ids[j+1]; a row of n tokens has n−1 of them."""

import math

import numpy as np
import torch
import torch.nn.functional as F

MODEL_COLUMNS = ("nll", "suffix_entropy", "suffix_logprob")
# score's per-model columns beyond MODEL_COLUMNS: computed when `out` holds them
SCORE_MODEL_COLUMNS = ("memorized", "lead", "mink", "minkpp")


def chunk_rows_for(seq_len, vocab, budget_bytes=256 << 20):
    """Rows per float32 chunk so that one [rows, seq, vocab] log-probability block stays under budget."""
    return max(1, budget_bytes // max(1, seq_len * vocab * 4))


def _entropy(logprobs):
    p = logprobs.exp()
    return -torch.where(p > 0, p * logprobs, torch.zeros_like(p)).sum(dim=-1)


def _mean_of_lowest(values, valid, count):
    """Per row: mean of the `count` lowest of `values` [B, P] among the valid positions (float64)."""
    ordered = torch.where(valid, values.double(), torch.full_like(values, math.inf, dtype=torch.float64)).sort(dim=1).values
    ordered = torch.where(torch.isinf(ordered), torch.zeros_like(ordered), ordered)
    return ordered.cumsum(dim=1).gather(1, (count - 1)[:, None]).squeeze(1) / count.double()


def _min_k_columns(logprobs, token_logprob, targets, valid, lengths, min_k, out, rows):
    """Min-K% (log p_t) and Min-K%++ (z_t = (log p_t − μ_t)/σ_t over the vocabulary) of a chunk."""
    count = torch.clamp(torch.floor((lengths - 1).double() * min_k), min=1).long()  # ⌊k·(n−1)⌋ in float64, ≥ 1
    out["mink"][rows] = _mean_of_lowest(token_logprob, valid, count).cpu().numpy()
    p = logprobs.exp()
    mu = (p * logprobs).sum(dim=-1)
    spread = logprobs - mu[..., None]  # centred: σ² = Σ p·(log p − μ)² without cancellation
    spread.square_().mul_(p)
    sigma = spread.sum(dim=-1).sqrt()
    del p, spread
    deviation = logprobs.gather(-1, targets[..., None]).squeeze(-1) - mu
    z = torch.where(sigma > 0, deviation / torch.where(sigma > 0, sigma, torch.ones_like(sigma)), torch.zeros_like(sigma))
    out["minkpp"][rows] = _mean_of_lowest(z, valid, count).cpu().numpy()


def _memorization_columns(argmax, targets, lengths, prefix_tokens, suffix_tokens, out, rows):
    """memorized / lead from the teacher-forced argmax (greedy decoding's choice at every position):
    greedy decoding of ids[0:k] reproduces ids[k:k+m] iff the argmax is right at every position
    j in [k−1, k+m−1); lead = the leading run of right positions. NaN for rows shorter than k + m."""
    k, m = prefix_tokens, suffix_tokens
    has_suffix = (lengths >= k + m).cpu().numpy()
    if argmax.shape[1] < k + m - 1 or not has_suffix.any():
        return
    window = slice(k - 1, k + m - 1)
    hits = (argmax[:, window] == targets[:, window]).long()
    lead = hits.cumprod(dim=1).sum(dim=1).cpu().numpy()
    out["lead"][rows[has_suffix]] = lead[has_suffix]
    out["memorized"][rows[has_suffix]] = (lead[has_suffix] == m).astype(np.float64)


def _model_stats(logprobs, input_ids, lengths, prefix_tokens, suffix_tokens, out, rows, argmax=None, min_k=None):
    """nll / suffix entropy / suffix log-prob of a chunk, written to out[name][rows]; also memorized / lead
    (from `argmax`) and Min-K% / Min-K%++ (at `min_k`) when `out` holds those columns."""
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
    if "memorized" in out:
        _memorization_columns(argmax, targets, lengths, k, m, out, rows)
    if "mink" in out:
        _min_k_columns(logprobs, token_logprob, targets, valid, lengths, min_k, out, rows)
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


def pair_features_into(teacher_logits, baseline_logits, input_ids, lengths, rows, temperature, prefix_tokens, suffix_tokens, out,
                       budget_bytes=256 << 20, min_k=0.2):
    """Teacher and baseline columns plus kl_teacher_baseline: mean over predicting positions of
    KL(softmax(z_t/τ) ‖ softmax(z_b/τ)), no τ² factor."""
    if teacher_logits.shape[-1] != baseline_logits.shape[-1]:
        raise ValueError(f"teacher and baseline vocabularies differ ({teacher_logits.shape[-1]} vs {baseline_logits.shape[-1]})")
    # two models' log-probabilities, and Min-K%++'s two temporaries of the same size
    step = max(1, chunk_rows_for(teacher_logits.shape[1], teacher_logits.shape[2], budget_bytes) // 4)
    for a in range(0, teacher_logits.shape[0], step):
        b = slice(a, a + step)
        stats = {}
        lp = {}
        for who, logits in (("teacher", teacher_logits), ("baseline", baseline_logits)):
            lp[who] = F.log_softmax(logits[b, :-1].float(), dim=-1)
            stats[who] = {name: out[f"{who}_{name}"] for name in MODEL_COLUMNS + SCORE_MODEL_COLUMNS}
            argmax = logits[b, :-1].argmax(dim=-1)  # the raw logits, as greedy decoding: ties to the first (lowest) id
            valid = _model_stats(lp[who], input_ids[b], lengths[b], prefix_tokens, suffix_tokens, stats[who], rows[b], argmax, min_k)
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
    "teacher_memorized",
    "teacher_lead",
    "baseline_memorized",
    "baseline_lead",
    "teacher_mink",
    "baseline_mink",
    "teacher_minkpp",
    "baseline_minkpp",
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
