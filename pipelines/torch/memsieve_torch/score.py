"""Scoring rows of token ids with a teacher/baseline pair (or one model), length-bucketed."""

import numpy as np
import torch

from .data import DataError, length_buckets, pad_batch
from .features import MODEL_COLUMNS, PAIR_COLUMNS, model_features_into, new_columns, pair_features_into


def _chunk_budget(model):
    """Bytes of float32 log-probabilities held at once: more on a GPU, where memory is plentiful."""
    return (1 << 30) if model.device.type == "cuda" else (256 << 20)


def _batches(rows, batch_tokens):
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    scorable = np.nonzero(lengths >= 2)[0]  # a row needs two tokens to predict one; shorter rows stay NaN
    for batch in length_buckets(lengths[scorable], batch_tokens):
        index = scorable[batch]
        yield index, [rows[i] for i in index]


def _check_fits(model, rows, what, extra=0):
    config = getattr(model.module, "config", None)
    limit = config.get("max_position_embeddings") if isinstance(config, dict) else getattr(config, "max_position_embeddings", None)
    longest = max((len(r) for r in rows), default=0) + extra
    if limit and longest > limit:
        raise DataError(f"a row has {longest} tokens, more than the {what}'s {limit} positions; truncate rows (--max-tokens)")
    top = max((int(r.max()) for r in rows if len(r)), default=-1)
    if top >= model.vocab_size:
        raise DataError(f"token id {top} is outside the {what}'s vocabulary of {model.vocab_size}; tokenizer and model disagree")


@torch.no_grad()
def score_pairs(teacher, baseline, rows, temperature=1.0, prefix_tokens=50, suffix_tokens=50, batch_tokens=32768, min_k=0.2):
    """PairScores columns (float64, NaN where undefined) for a list of int arrays."""
    _check_fits(teacher, rows, "teacher")
    _check_fits(baseline, rows, "baseline")
    out = new_columns(PAIR_COLUMNS, len(rows))
    device = teacher.device
    for index, batch in _batches(rows, batch_tokens):
        input_ids, mask = pad_batch(batch, device=device)
        lengths = mask.sum(dim=1)
        pair_features_into(
            teacher.logits(input_ids, mask),
            baseline.logits(input_ids.to(baseline.device), mask.to(baseline.device)).to(device),
            input_ids, lengths, index, temperature, prefix_tokens, suffix_tokens, out, _chunk_budget(teacher), min_k,
        )
    return out


@torch.no_grad()
def score_model(model, rows, prefix_tokens=50, suffix_tokens=50, batch_tokens=32768):
    """nll, suffix_entropy, suffix_logprob of one model (the audit's approximate measures)."""
    _check_fits(model, rows, "model")
    out = new_columns(MODEL_COLUMNS, len(rows))
    for index, batch in _batches(rows, batch_tokens):
        input_ids, mask = pad_batch(batch, device=model.device)
        model_features_into(model.logits(input_ids, mask), input_ids, mask.sum(dim=1), index, prefix_tokens, suffix_tokens, out,
                            _chunk_budget(model))
    return out


@torch.no_grad()
def greedy_rows(model, prefixes, n, batch_tokens=32768):
    """Greedy continuations [len(prefixes), n] (int32). Prefixes are grouped by length, so a batch
    needs no padding and each row decodes exactly as it would alone."""
    _check_fits(model, prefixes, "model", extra=n)
    out = np.zeros((len(prefixes), n), dtype=np.int32)
    lengths = np.array([len(p) for p in prefixes], dtype=np.int64)
    if np.any(lengths == 0):
        raise DataError(f"prefix {int(np.argmax(lengths == 0))} is empty; greedy decoding needs at least one token")
    for k in np.unique(lengths):
        group = np.nonzero(lengths == k)[0]
        rows_per_batch = max(1, batch_tokens // int(k + n))
        for a in range(0, len(group), rows_per_batch):
            index = group[a : a + rows_per_batch]
            prefix = torch.as_tensor(np.stack([prefixes[i] for i in index]).astype(np.int64), device=model.device)
            out[index] = model.greedy(prefix, n).cpu().numpy().astype(np.int32)
    return out


@torch.no_grad()
def teacher_forced_argmax(model, rows, start, batch_tokens=32768):
    """The audit's one-pass path: per row, the argmax (ties to the lowest id, as in greedy) of the
    next-token logits at positions start-1 .. len-2, fed the row's true tokens. Flat int32, row order."""
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    if start < 1:
        raise DataError(f"argmax: start {start} must be ≥ 1 (a prompt needs at least one token)")
    if np.any(lengths < start):
        raise DataError(f"argmax: row {int(np.argmax(lengths < start))} has fewer than start = {start} tokens")
    _check_fits(model, rows, "model")
    offsets = np.concatenate([[0], np.cumsum(lengths - start)])
    out = np.zeros(int(offsets[-1]), dtype=np.int32)
    for batch in length_buckets(lengths, batch_tokens):
        batch = batch[lengths[batch] > start]
        if len(batch) == 0:
            continue
        input_ids, mask = pad_batch([rows[i] for i in batch], device=model.device)
        best = model.logits(input_ids, mask)[:, start - 1 : -1].argmax(dim=-1).cpu().numpy()
        for j, i in enumerate(batch):
            out[offsets[i] : offsets[i + 1]] = best[j, : lengths[i] - start]
    return out
