"""Causal LMs behind one small interface: Hugging Face checkpoints (transformers, loaded lazily)
and a tiny GPT defined here, which the CPU tests and `--model-kind tiny` use where
transformers is missing. Both give logits and batched greedy decoding with a static KV cache."""

import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from .data import DataError

TINY_TYPE = "memsieve_tiny"
TINY_WEIGHTS = "model.pt"
HF_WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


class ModelError(DataError):
    pass


# ---- the tiny GPT -----------------------------------------------------------------------------


class _Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 4 * d)
        self.out = nn.Linear(4 * d, d)

    def forward(self, x, cache, start):
        b, s, d = x.shape
        h = self.heads
        q, k, v = (t.view(b, s, h, d // h).transpose(1, 2) for t in self.qkv(self.ln1(x)).split(d, dim=-1))
        if cache is not None:  # static cache: write this step's keys/values in place, attend to all so far
            kc, vc = cache
            kc[:, :, start : start + s] = k
            vc[:, :, start : start + s] = v
            k, v = kc[:, :, : start + s], vc[:, :, : start + s]
        att = (q @ k.transpose(-1, -2)) / math.sqrt(d // h)
        visible = torch.arange(k.shape[2], device=x.device)[None, :] <= (start + torch.arange(s, device=x.device))[:, None]
        att = att.masked_fill(~visible, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, s, d)
        x = x + self.proj(y)
        return x + self.out(F.gelu(self.fc(self.ln2(x))))


class TinyCausalLM(nn.Module):
    """Pre-LN GPT with learned positions. Right padding needs no mask: causal attention never lets
    a real position see the pads after it."""

    def __init__(self, config):
        super().__init__()
        self.config = dict(config)
        d = config["hidden_size"]
        self.wte = nn.Embedding(config["vocab_size"], d)
        self.wpe = nn.Embedding(config["max_position_embeddings"], d)
        self.blocks = nn.ModuleList(_Block(d, config["num_attention_heads"]) for _ in range(config["num_hidden_layers"]))
        self.ln_f = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, config["vocab_size"], bias=False)
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.normal_(p, std=0.2)

    def forward(self, input_ids, cache=None, start=0):
        s = input_ids.shape[1]
        x = self.wte(input_ids) + self.wpe(torch.arange(start, start + s, device=input_ids.device))
        for i, block in enumerate(self.blocks):
            x = block(x, None if cache is None else cache[i], start)
        return self.lm_head(self.ln_f(x))

    def new_cache(self, batch, length, device, dtype):
        c = self.config
        shape = (batch, c["num_attention_heads"], length, c["hidden_size"] // c["num_attention_heads"])
        return [(torch.zeros(shape, device=device, dtype=dtype), torch.zeros(shape, device=device, dtype=dtype)) for _ in self.blocks]


# ---- one interface over both kinds ---------------------------------------------------------------


class CausalLM:
    """`module` is the torch module (trained in place by distill); `logits` and `greedy` are all
    the stages use."""

    def __init__(self, module, kind, path=None):
        self.module = module
        self.kind = kind
        self.path = path

    @property
    def vocab_size(self):
        if self.kind == "tiny":
            return self.module.config["vocab_size"]
        return self.module.get_output_embeddings().weight.shape[0]

    @property
    def device(self):
        return next(self.module.parameters()).device

    @property
    def dtype(self):
        return next(self.module.parameters()).dtype

    def logits(self, input_ids, attention_mask):
        """[B, S, V] logits of a right-padded batch."""
        if self.kind == "tiny":
            return self.module(input_ids)
        return self.module(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).logits

    @torch.no_grad()
    def greedy(self, prefixes, n):
        """Continue equal-length prefixes [B, k] by exactly n tokens: argmax (ties to the lowest id:
        torch.argmax returns the first maximum), no stop token. Returns [B, n]."""
        b, k = prefixes.shape
        if n <= 0:
            return prefixes.new_zeros((b, 0))
        out = prefixes.new_empty((b, n))
        if self.kind == "tiny":
            cache = self.module.new_cache(b, k + n, prefixes.device, self.dtype)
            step = lambda ids, pos: self.module(ids, cache, pos)[:, -1]  # noqa: E731
        else:
            cache = _hf_static_cache(self.module, b, k + n, prefixes.device, self.dtype)
            state = {"cache": cache}

            def step(ids, pos):
                positions = torch.arange(pos, pos + ids.shape[1], device=ids.device)
                result = self.module(input_ids=ids, past_key_values=state["cache"], use_cache=True, cache_position=positions)
                state["cache"] = result.past_key_values
                return result.logits[:, -1]

        token = step(prefixes, 0).argmax(dim=-1)
        for i in range(n):
            out[:, i] = token
            if i + 1 < n:
                token = step(token[:, None], k + i).argmax(dim=-1)
        return out


def _hf_static_cache(module, batch, length, device, dtype):
    """transformers' StaticCache (its constructor changed between 4.x and 5.x); None falls back
    to the model's dynamic cache."""
    try:
        from transformers import StaticCache
    except ImportError:
        return None
    for kwargs in (
        {"config": module.config, "max_cache_len": length},
        {"config": module.config, "max_batch_size": batch, "max_cache_len": length, "device": device, "dtype": dtype},
    ):
        try:
            return StaticCache(**kwargs)
        except TypeError:
            continue
    return None


# ---- checkpoints ---------------------------------------------------------------------------------


def resolve_device(name):
    if name in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ModelError(f"--device {name}: no CUDA device is visible to PyTorch {torch.__version__} here; use --device cpu "
                         "(`memsieve doctor` shows what this Python's torch sees)")
    if name not in ("cpu",) and not name.startswith("cuda"):
        raise ModelError(f"--device {name}: use cpu, cuda or cuda:N")
    return torch.device(name)


def resolve_dtype(name, device):
    if name in (None, "auto"):
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    if name not in DTYPES:
        raise ModelError(f"--dtype {name}: use one of {', '.join(DTYPES)}")
    return DTYPES[name]


def read_config(path):
    """config.json of a checkpoint folder (or the file itself)."""
    file = os.path.join(path, "config.json") if os.path.isdir(path) else path
    if not os.path.exists(path):
        raise ModelError(f"{path}: no such checkpoint folder")
    try:
        with open(file) as f:
            return json.load(f)
    except FileNotFoundError:
        raise ModelError(f"{path}: no config.json; a checkpoint folder holds config.json and model.safetensors") from None
    except ValueError as error:
        raise ModelError(f"{file}: not valid JSON ({error})") from None


def _transformers(what):
    try:
        import transformers
    except ImportError:
        raise ModelError(
            f"{what} is a Hugging Face checkpoint and needs the transformers package, which {sys.executable} "
            "does not have: pip install 'memsieve-torch[hf]' (from memsieve's pipelines/torch), or use a tiny checkpoint"
        ) from None
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()  # stderr is the worker's error channel, keep it readable
    return transformers


def load_model(path, device, dtype=torch.float32):
    config = read_config(path)
    kind = "tiny" if config.get("model_type") == TINY_TYPE else "hf"
    weights = [TINY_WEIGHTS] if kind == "tiny" else HF_WEIGHTS
    if not any(os.path.exists(os.path.join(path, w)) for w in weights):
        raise ModelError(f"{path}: checkpoint folder has no weights (expected {' or '.join(weights)})")
    if kind == "tiny":
        module = TinyCausalLM(config)
        module.load_state_dict(torch.load(os.path.join(path, TINY_WEIGHTS), map_location="cpu"))
        module = module.to(device=device, dtype=dtype)
    else:
        auto = _transformers(path).AutoModelForCausalLM
        try:
            module = auto.from_pretrained(path, dtype=dtype)
        except TypeError:  # transformers 4.x names it torch_dtype
            module = auto.from_pretrained(path, torch_dtype=dtype)
        module = module.to(device)
    module.eval()
    return CausalLM(module, kind, path)


def init_model(config_path, seed, device):
    """A randomly initialized model from a config (a checkpoint folder or its config.json); weights
    depend only on the seed."""
    config = read_config(config_path)
    torch.manual_seed(seed)
    if config.get("model_type") == TINY_TYPE:
        return CausalLM(TinyCausalLM(config).to(device), "tiny")
    transformers = _transformers(config_path)
    folder = config_path if os.path.isdir(config_path) else os.path.dirname(os.path.abspath(config_path))
    hf_config = transformers.AutoConfig.from_pretrained(folder)
    try:  # initialize in float32, whatever dtype the config was saved with (the kit's: float16)
        module = transformers.AutoModelForCausalLM.from_config(hf_config, dtype=torch.float32)
    except TypeError:
        module = transformers.AutoModelForCausalLM.from_config(hf_config)
    return CausalLM(module.to(device=device, dtype=torch.float32), "hf")


def save_model(model, folder):
    """config.json + weights; Hugging Face models through save_pretrained (safetensors)."""
    os.makedirs(folder, exist_ok=True)
    if model.kind == "tiny":
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(model.module.config, f, indent=2)
        torch.save({k: v.detach().cpu() for k, v in model.module.state_dict().items()}, os.path.join(folder, TINY_WEIGHTS))
    else:
        model.module.save_pretrained(folder, safe_serialization=True)


def save_tiny_checkpoint(folder, config, seed=0):
    """A random tiny checkpoint (tests and the CPU worker path)."""
    torch.manual_seed(seed)
    model = CausalLM(TinyCausalLM(dict(config, model_type=TINY_TYPE)), "tiny")
    save_model(model, folder)
    return model
