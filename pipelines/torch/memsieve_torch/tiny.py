"""Write a random tiny checkpoint (and optionally its ONNX logits graph) for tests on CPU:

    python -m memsieve_torch.tiny --out DIR [--vocab 2048] [--layers 1] [--hidden 32] [--seed 0] [--onnx FILE] [--tie A,B]
"""

import argparse
import sys

import torch

from .models import save_model, save_tiny_checkpoint


class _LogitsGraph(torch.nn.Module):
    """input_ids, attention_mask -> logits, the kit's ONNX interface. The tiny model needs no mask
    (right padding under causal attention); padded positions' logits are zeroed so the input stays."""

    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, input_ids, attention_mask):
        return self.module(input_ids) * attention_mask[..., None].to(torch.float32)


def make_tie(module, low, high):
    """Tokens `low` and `high` get exactly equal logits, above every other token, at every position:
    the final norm outputs all ones and both head rows are all ones (logit = hidden size, exactly).
    Tests use it to check that every argmax path breaks ties to the lowest id."""
    with torch.no_grad():
        module.ln_f.weight.zero_()
        module.ln_f.bias.fill_(1.0)
        module.lm_head.weight[low] = 1.0
        module.lm_head.weight[high] = 1.0


def main(argv=None):
    p = argparse.ArgumentParser(prog="memsieve_torch.tiny", description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--vocab", type=int, default=2048)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--positions", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--onnx", help="also export the logits-only ONNX graph here")
    p.add_argument("--tie", help="A,B: make tokens A and B tie exactly on top at every position (tests of the tie rule)")
    args = p.parse_args(argv)
    config = {"vocab_size": args.vocab, "hidden_size": args.hidden, "num_hidden_layers": args.layers,
              "num_attention_heads": args.heads, "max_position_embeddings": args.positions}
    model = save_tiny_checkpoint(args.out, config, args.seed)
    if args.tie:
        low, high = sorted(int(t) for t in args.tie.split(","))
        make_tie(model.module, low, high)
        save_model(model, args.out)
    if args.onnx:
        model.module.eval()
        ids = torch.randint(0, args.vocab, (2, 9))
        torch.onnx.export(_LogitsGraph(model.module), (ids, torch.ones_like(ids)), args.onnx,
                          input_names=["input_ids", "attention_mask"], output_names=["logits"], opset_version=17,
                          dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                                        "logits": {0: "batch", 1: "sequence"}})
    return 0


if __name__ == "__main__":
    sys.exit(main())
