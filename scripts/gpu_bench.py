"""memsieve's PyTorch paths against the naive loops a user would write, side by side in one run; prints
one JSON line. Driven by scripts/gpu-bench.sh (which sets PYTHONPATH and MEMSIEVE, the CLI command).

GPU (default): a Pythia-shaped random-init pair (GPTNeoX ~410M teacher, ~160M baseline, bf16),
256-token rows:
  - `memsieve score --backend torch` tokens/s vs a naive Hugging Face loop (model(ids).logits ->
    log_softmax -> NLL and KL, batch 32);
  - `memsieve audit --backend torch` (one-pass, and --method greedy) prefixes/s vs
    model.generate(max_new_tokens=50, do_sample=False), batch 32.
GPU_BENCH_TINY=1: the same on CPU with memsieve's tiny models (no transformers needed); the naive
loops are plain torch (module(ids) for scoring; greedy by full recomputation in place of generate),
labelled as such in the output.
"""

import json
import os
import random
import shlex
import subprocess
import sys
import tempfile
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KIT_TOKENIZER = os.path.join(ROOT, "fixtures", "brown-tiny", "tokenizer.json")
TINY = os.environ.get("GPU_BENCH_TINY") == "1"
ROW_TOKENS = 256
K, M = 50, 50
NAIVE_BATCH = 32
SCORE_ROWS = int(os.environ.get("GPU_BENCH_SCORE_ROWS", 48 if TINY else 4096))
AUDIT_ROWS = int(os.environ.get("GPU_BENCH_AUDIT_ROWS", 48 if TINY else 2048))
GENERATE_ROWS = int(os.environ.get("GPU_BENCH_GENERATE_ROWS", 16 if TINY else 512))

PYTHIA = {  # GPTNeoX shapes of Pythia-410M and Pythia-160M (EleutherAI), vocabulary padded to 50304
    "teacher": dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096),
    "baseline": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072),
}
TINY_SHAPES = {
    "teacher": dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4),
    "baseline": dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=4),
}


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def make_models(folder, device):
    """Random-init checkpoints written where the worker loads them; returns in-memory copies for the naive loops."""
    from memsieve_torch.models import load_model, save_tiny_checkpoint

    paths, models = {}, {}
    for seed, name in enumerate(("teacher", "baseline")):
        path = os.path.join(folder, name)
        if TINY:
            save_tiny_checkpoint(path, dict(TINY_SHAPES[name], vocab_size=2048, max_position_embeddings=ROW_TOKENS), seed=seed)
            models[name] = load_model(path, device, torch.float32).module
        else:
            import transformers

            # GPTNeoXConfig's defaults are Pythia's (rotary on 25% of dims, parallel residual, 2048 positions)
            config = transformers.GPTNeoXConfig(vocab_size=50304, **PYTHIA[name])
            torch.manual_seed(seed)
            with torch.device(device):
                module = transformers.GPTNeoXForCausalLM(config)
            module = module.to(torch.bfloat16).eval()
            module.save_pretrained(path, safe_serialization=True)
            models[name] = module
        paths[name] = path
    return paths, models


def write_corpus(path, rows, seed):
    """Texts of whole-word vocabulary entries of the kit tokenizer: every row has more than 256 tokens."""
    with open(KIT_TOKENIZER) as f:
        vocab = json.load(f)["model"]["vocab"]
    words = sorted(t[1:] for t in vocab if t.startswith("\u0120") and t[1:].isalpha())
    rng = random.Random(seed)
    with open(path, "w") as f:
        for i in range(rows):
            f.write(json.dumps({"id": f"r{i}", "text": " ".join(rng.choice(words) for _ in range(2 * ROW_TOKENS))}) + "\n")


def memsieve(args):
    command = shlex.split(os.environ.get("MEMSIEVE", "node dist/cli/main.js")) + args + ["--quiet"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr[-4000:]}")
    return json.loads(result.stderr.strip().splitlines()[-1])  # the summary line


def logits_of(module, ids):
    return module(ids) if TINY else module(input_ids=ids).logits


@torch.no_grad()
def naive_score(teacher, baseline, rows, vocab, device):
    """The loop the issue names: logits -> log_softmax -> NLL and KL(teacher || baseline), batch 32."""
    ids = torch.randint(0, vocab, (rows, ROW_TOKENS), generator=torch.Generator().manual_seed(0)).to(device)
    def run(batch):
        t = logits_of(teacher, batch).float().log_softmax(-1)
        b = logits_of(baseline, batch).float().log_softmax(-1)
        nll = -t[:, :-1].gather(-1, batch[:, 1:, None]).squeeze(-1).mean(dim=1)
        kl = (t.exp() * (t - b)).sum(-1).mean(dim=1)
        return nll.sum().item() + kl.sum().item()
    run(ids[:NAIVE_BATCH])  # warm-up
    sync(device)
    start = time.perf_counter()
    for a in range(0, rows, NAIVE_BATCH):
        run(ids[a : a + NAIVE_BATCH])
    sync(device)
    return rows * ROW_TOKENS / (time.perf_counter() - start)


@torch.no_grad()
def naive_generate(model, rows, vocab, device):
    """prefixes/s of 50 greedy tokens from 50-token prefixes, batch 32: model.generate on Hugging Face
    models; on the tiny model a plain-torch greedy loop by full recomputation (no cache)."""
    prefixes = torch.randint(0, vocab, (rows, K), generator=torch.Generator().manual_seed(1)).to(device)
    def run(batch):
        if TINY:
            ids = batch
            for _ in range(M):
                ids = torch.cat([ids, model(ids)[:, -1].argmax(-1, keepdim=True)], dim=1)
            return ids
        return model.generate(input_ids=batch, attention_mask=torch.ones_like(batch), max_new_tokens=M, min_new_tokens=M,
                              do_sample=False, pad_token_id=0)
    run(prefixes[:NAIVE_BATCH])  # warm-up
    sync(device)
    start = time.perf_counter()
    for a in range(0, rows, NAIVE_BATCH):
        assert run(prefixes[a : a + NAIVE_BATCH]).shape[1] == K + M
    sync(device)
    return rows / (time.perf_counter() - start)


def main():
    started = time.perf_counter()
    device = torch.device("cuda" if torch.cuda.is_available() and not TINY else "cpu")
    if not TINY and device.type != "cuda":
        raise SystemExit("no CUDA device: run on the GPU machine, or set GPU_BENCH_TINY=1 for the CPU smoke run")
    with tempfile.TemporaryDirectory(prefix="gpu-bench-") as folder:
        paths, models = make_models(folder, device)
        vocab = 2048  # the kit tokenizer's ids, for memsieve and the naive loops alike
        score_corpus, audit_corpus, generate_corpus = (os.path.join(folder, f"{n}.jsonl") for n in ("score", "audit", "generate"))
        write_corpus(score_corpus, SCORE_ROWS, 0)
        write_corpus(audit_corpus, AUDIT_ROWS, 1)
        write_corpus(generate_corpus, GENERATE_ROWS, 2)
        common = ["--tokenizer", KIT_TOKENIZER, "--backend", "torch", "--max-tokens", str(ROW_TOKENS), "--batch-size", "256"]
        if TINY:
            common += ["--device", "cpu", "--dtype", "float32"]
        score = memsieve(["score", "-i", score_corpus, "-o", os.path.join(folder, "scores.parquet"),
                          "--teacher", paths["teacher"], "--baseline", paths["baseline"], *common])
        one_pass = memsieve(["audit", "-i", audit_corpus, "-o", os.path.join(folder, "audit.parquet"), "--model", paths["teacher"], *common])
        greedy = memsieve(["audit", "-i", generate_corpus, "-o", os.path.join(folder, "greedy.parquet"), "--model", paths["teacher"],
                           "--method", "greedy", *common])
        naive_tokens_per_s = naive_score(models["teacher"], models["baseline"], SCORE_ROWS, vocab, device)
        generate_prefixes_per_s = naive_generate(models["teacher"], GENERATE_ROWS, vocab, device)
    naive = "plain torch (tiny model: module(ids), greedy by full recomputation)" if TINY else "Hugging Face transformers"
    out = {
        "bench": "gpu-bench",
        "mode": "tiny-cpu" if TINY else "pythia-shaped",
        "device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu",
        "torch": torch.__version__,
        "transformers": None if TINY else __import__("transformers").__version__,
        "dtype": "float32" if TINY else "bfloat16",
        "models": "tiny 2x64 teacher, 1x32 baseline" if TINY else "GPTNeoX random init: 410M-shaped teacher, 160M-shaped baseline",
        "row_tokens": ROW_TOKENS,
        "naive": naive,
        "score": {
            "rows": SCORE_ROWS,
            "memsieve_tokens_per_s": score["tokens_per_s"],
            "naive_tokens_per_s": round(naive_tokens_per_s),
            "memsieve_over_naive": round(score["tokens_per_s"] / naive_tokens_per_s, 2),
        },
        "audit": {
            "k": K, "m": M,
            "memsieve_one_pass_rows": AUDIT_ROWS,
            "memsieve_one_pass_prefixes_per_s": one_pass["prefixes_per_s"],
            "memsieve_greedy_rows": GENERATE_ROWS,
            "memsieve_greedy_prefixes_per_s": greedy["prefixes_per_s"],
            "naive_generate_rows": GENERATE_ROWS,
            "naive_generate_prefixes_per_s": round(generate_prefixes_per_s, 2),
            "one_pass_over_generate": round(one_pass["prefixes_per_s"] / generate_prefixes_per_s, 2),
            "memsieve_greedy_over_generate": round(greedy["prefixes_per_s"] / generate_prefixes_per_s, 2),
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
