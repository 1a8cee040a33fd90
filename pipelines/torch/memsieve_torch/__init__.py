"""memsieve's PyTorch steps: distill (training), export (ONNX) and the scoring/audit worker.

Driven by the TypeScript CLI over stdin/stdout; the binary framing is in docs/torch.md.
"""

__version__ = "0.1.0"
