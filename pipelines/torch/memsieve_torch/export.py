"""Export a Hugging Face checkpoint to ONNX for the onnxruntime path (audit anywhere, no PyTorch):

    DIR/logits.onnx  inputs input_ids, attention_mask [batch, seq] (int64) -> logits [batch, seq, vocab]
    DIR/kv.onnx      inputs input_ids, attention_mask [batch, past+seq], position_ids [batch, seq],
                     past_key_values.{i}.key/value [batch, heads, past, head_dim]
                     -> logits, present.{i}.key/value   (the Optimum / transformers.js decoder-with-past names)

Each graph is run with onnxruntime and compared to PyTorch's float32 logits; the max abs diff is
reported (JSON lines on stdout, like distill) and written to DIR/export.json.
"""

import argparse
import json
import os
import shutil
import sys

import torch

from .data import DataError
from .models import _transformers, read_config
from .distill import emit
from . import distill as _distill


class ExportMismatch(DataError):
    pass


class _Logits(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        return self.model(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).logits


def _cache_tensors(cache, layers):
    out = []
    for i in range(layers):
        if hasattr(cache, "layers"):  # transformers 5
            out += [cache.layers[i].keys, cache.layers[i].values]
        elif hasattr(cache, "key_cache"):  # transformers 4.4x
            out += [cache.key_cache[i], cache.value_cache[i]]
        else:
            out += [cache[i][0], cache[i][1]]
    return out


class _WithPast(torch.nn.Module):
    def __init__(self, model, layers):
        super().__init__()
        self.model = model
        self.layers = layers

    def forward(self, input_ids, attention_mask, position_ids, *past):
        from transformers import DynamicCache

        cache = DynamicCache()
        for i in range(self.layers):
            cache.update(past[2 * i], past[2 * i + 1], i)
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                         past_key_values=cache, use_cache=True)
        return (out.logits, *_cache_tensors(out.past_key_values, self.layers))


def _onnx_export(module, args, path, input_names, output_names, dynamic_axes, opset):
    kwargs = dict(input_names=input_names, output_names=output_names, dynamic_axes=dynamic_axes, opset_version=opset)
    try:
        torch.onnx.export(module, args, path, dynamo=False, **kwargs)  # the TorchScript exporter takes dynamic_axes
    except TypeError:  # torch without the dynamo switch
        torch.onnx.export(module, args, path, **kwargs)


def export(checkpoint, out, opset=17, tolerance=1e-3, seq=12, past=7):
    config = read_config(checkpoint)
    transformers = _transformers(checkpoint)
    try:
        import onnxruntime as ort
    except ImportError:
        raise DataError(f"export checks its graphs with onnxruntime, which {sys.executable} does not have: "
                        "pip install 'memsieve-torch[export]' (from memsieve's pipelines/torch)") from None
    try:
        model = transformers.AutoModelForCausalLM.from_pretrained(checkpoint, dtype=torch.float32, attn_implementation="eager")
    except TypeError:
        model = transformers.AutoModelForCausalLM.from_pretrained(checkpoint, torch_dtype=torch.float32, attn_implementation="eager")
    model.eval()
    layers = config["num_hidden_layers"]
    heads = config.get("num_key_value_heads") or config["num_attention_heads"]
    head_dim = config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"]
    vocab = model.get_output_embeddings().weight.shape[0]
    tmp = f"{out.rstrip('/')}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, vocab, (2, seq + past), generator=g)
    mask = torch.ones_like(ids)
    with torch.no_grad():
        reference = model(input_ids=ids, attention_mask=mask, use_cache=False).logits

    # logits-only graph
    logits_path = os.path.join(tmp, "logits.onnx")
    with torch.no_grad():
        _onnx_export(_Logits(model), (ids, mask), logits_path, ["input_ids", "attention_mask"], ["logits"],
                     {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                      "logits": {0: "batch", 1: "sequence"}}, opset)
    session = ort.InferenceSession(logits_path, providers=["CPUExecutionProvider"])
    got = session.run(["logits"], {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})[0]
    logits_diff = float((torch.from_numpy(got) - reference).abs().max())
    emit("graph", file="logits.onnx", max_abs_diff=logits_diff)

    # decoder-with-past graph: traced with a non-empty past so past length stays a dynamic axis
    with torch.no_grad():
        prefix = model(input_ids=ids[:, :past], attention_mask=mask[:, :past], use_cache=True)
        past_tensors = [t.contiguous() for t in _cache_tensors(prefix.past_key_values, layers)]
    names_in = ["input_ids", "attention_mask", "position_ids"]
    names_out = ["logits"]
    axes = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "past_sequence + sequence"},
            "position_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}}
    for i in range(layers):
        for kind in ("key", "value"):
            names_in.append(f"past_key_values.{i}.{kind}")
            names_out.append(f"present.{i}.{kind}")
            axes[names_in[-1]] = {0: "batch", 2: "past_sequence"}
            axes[names_out[-1]] = {0: "batch", 2: "past_sequence + sequence"}
    position_ids = torch.arange(past, past + seq)[None].expand(2, -1)
    kv_path = os.path.join(tmp, "kv.onnx")
    with torch.no_grad():
        _onnx_export(_WithPast(model, layers), (ids[:, past:], mask, position_ids, *past_tensors), kv_path,
                     names_in, names_out, axes, opset)
    session = ort.InferenceSession(kv_path, providers=["CPUExecutionProvider"])
    # decode in two steps through the graph itself: empty past, then the rest, against one full PyTorch pass
    empty = {f"past_key_values.{i}.{kind}": torch.zeros(2, heads, 0, head_dim).numpy() for i in range(layers) for kind in ("key", "value")}
    first = session.run(None, dict(empty, input_ids=ids[:, :past].numpy(), attention_mask=mask[:, :past].numpy(),
                                   position_ids=torch.arange(past)[None].expand(2, -1).numpy()))
    presents = {names_in[3 + j]: first[1 + j] for j in range(2 * layers)}
    second = session.run(None, dict(presents, input_ids=ids[:, past:].numpy(), attention_mask=mask.numpy(), position_ids=position_ids.numpy()))
    kv_logits = torch.cat([torch.from_numpy(first[0]), torch.from_numpy(second[0])], dim=1)
    kv_diff = float((kv_logits - reference).abs().max())
    emit("graph", file="kv.onnx", max_abs_diff=kv_diff)

    report = {"checkpoint": checkpoint, "opset": opset, "vocab_size": vocab, "layers": layers,
              "logits_max_abs_diff": logits_diff, "kv_max_abs_diff": kv_diff, "torch": torch.__version__}
    worst = max(logits_diff, kv_diff)
    if worst > tolerance:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ExportMismatch(f"exported graphs differ from PyTorch by {worst:.3g} > --tolerance {tolerance}; nothing written")
    with open(os.path.join(tmp, "export.json"), "w") as f:
        json.dump(report, f, indent=2)
    if os.path.exists(out):
        shutil.rmtree(out)
    os.replace(tmp, out)
    return report


def main(argv=None):
    _distill._progress = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    p = argparse.ArgumentParser(prog="memsieve_torch.export", description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--out", required=True, help="output folder: logits.onnx, kv.onnx, export.json")
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--tolerance", type=float, default=1e-3, help="max abs logit diff accepted")
    args = p.parse_args(argv)
    try:
        if os.path.exists(args.out) and os.listdir(args.out) and not os.path.exists(os.path.join(args.out, "export.json")):
            raise DataError(f"--out {args.out}: folder exists and is not a previous export; choose another")
        report = export(args.checkpoint, args.out, args.opset, args.tolerance)
        emit("done", out=args.out, **report)
    except ExportMismatch as error:
        emit("error", message=str(error))
        return 1
    except DataError as error:
        emit("error", message=str(error))
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
