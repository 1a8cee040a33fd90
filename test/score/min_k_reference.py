"""Float64 reference for score's Min-K% / Min-K%++ / nll columns, from dumped logits (test only; shares no
code with memsieve). Min-K% Prob (Shi et al. 2024): mean of the lowest ⌊k·(n−1)⌋ log p_t (at least one);
Min-K%++ (Zhang et al. 2024): the same over z_t = (log p_t − μ_t)/σ_t, μ_t = Σ p log p, σ_t² = Σ p (log p)² − μ_t².

    python3 min_k_reference.py META.json  →  JSON lines, one per row
META: {"vocab": V, "min_k": [k, ...], "rows": [[ids...], ...], "logits": {"teacher": path, "baseline": path}}
where each logits file holds float32 [n_i, V] blocks for the rows in order."""
import json
import sys

import numpy as np


def row_columns(logits, ids, min_ks):
    z = logits.astype(np.float64)
    n = len(ids)
    if n < 2:
        return {"nll": None, **{f"mink@{k}": None for k in min_ks}, **{f"minkpp@{k}": None for k in min_ks}}
    z = z[: n - 1]
    shifted = z - z.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    p = np.exp(logp)
    target = logp[np.arange(n - 1), np.asarray(ids[1:])]
    mu = (p * logp).sum(axis=1)
    sigma = np.sqrt((p * logp**2).sum(axis=1) - mu**2)
    zscore = (target - mu) / sigma
    out = {"nll": float(-target.mean())}
    for k in min_ks:
        count = max(1, int(k * (n - 1)))
        out[f"mink@{k}"] = float(np.sort(target)[:count].mean())
        out[f"minkpp@{k}"] = float(np.sort(zscore)[:count].mean())
    return out


def main(meta_path):
    with open(meta_path) as f:
        meta = json.load(f)
    vocab, rows = meta["vocab"], meta["rows"]
    blocks = {}
    for model, path in meta["logits"].items():
        flat = np.fromfile(path, dtype="<f4")
        at, blocks[model] = 0, []
        for ids in rows:
            size = len(ids) * vocab
            blocks[model].append(flat[at : at + size].reshape(len(ids), vocab))
            at += size
        assert at == flat.size, f"{path}: {flat.size} floats, expected {at}"
    for i, ids in enumerate(rows):
        print(json.dumps({model: row_columns(blocks[model][i], ids, meta["min_k"]) for model in blocks}))


if __name__ == "__main__":
    main(sys.argv[1])
