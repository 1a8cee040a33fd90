import importlib.util
import os
import sys

import pytest
import torch

# the installed memsieve-torch when there is one (test/torch/python.test.ts installs it into a venv), else the checkout's
if importlib.util.find_spec("memsieve_torch") is None:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import memsieve_torch  # noqa: E402

# the folder holding the memsieve_torch under test: PYTHONPATH of the subprocesses the tests start
PKG = os.path.dirname(os.path.dirname(os.path.abspath(memsieve_torch.__file__)))
from memsieve_torch.models import save_tiny_checkpoint  # noqa: E402


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(f"memsieve_torch from {os.path.dirname(memsieve_torch.__file__)}")


TINY = {"vocab_size": 37, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "max_position_embeddings": 64}


@pytest.fixture
def tiny_dir(tmp_path):
    """A random tiny checkpoint folder; returns (folder, CausalLM)."""
    folder = str(tmp_path / "tiny")
    model = save_tiny_checkpoint(folder, TINY, seed=1)
    model.module.eval()
    return folder, model


def random_rows(n, vocab, low, high, seed):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(low, high + 1, (n,), generator=g)
    return [torch.randint(0, vocab, (int(k),), generator=g).numpy().astype("int64") for k in lengths]
