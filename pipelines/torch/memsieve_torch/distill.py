"""Distill a student: soft KD (forward KL at temperature T, loss ×T²), hard KD (cross-entropy on the
teacher's greedy continuations of each k-token prefix) or plain cross-entropy on the data.

    python -m memsieve_torch.distill --mode soft --teacher DIR --student-config DIR --data train.tokens --out DIR

Progress is JSON lines on stdout (docs/torch.md); the last line is {"event": "done", ...}.

Resumable: after every --checkpoint-epochs epochs the student, optimizer, step and RNG states go to
OUT.resume/state.pt (hard KD keeps its teacher sequences there too). A rerun with the same arguments and
data continues from the last one and ends with the weights an uninterrupted run gives; the folder is
removed once the student is published.
"""

import argparse
import contextlib
import hashlib
import json
import math
import os
import shutil
import sys
import time

import numpy as np
import torch

from .data import DataError, TokenFileFill, pad_batch, read_token_file
from .losses import ce_loss_sum, soft_kd_loss_sum
from .models import init_model, load_model, resolve_device, save_model
from .score import greedy_rows


def emit(event, **fields):
    print(json.dumps(dict(event=event, **fields), allow_nan=False), file=_progress, flush=True)


_progress = sys.stdout


def learning_rate(step, total_steps, lr, warmup_steps, min_lr, schedule):
    """Linear warm-up to lr, then cosine decay to min_lr (or constant)."""
    if step < warmup_steps:
        return lr * (step + 1) / warmup_steps
    if schedule == "constant" or total_steps <= warmup_steps:
        return lr
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * min(1.0, progress)))


def hard_kd_data(teacher, data, prefix_tokens, path, batch_tokens=16384):
    """Each row's first k tokens, continued greedily by the teacher to the row's own length
    (sequence-level KD, Kim & Rush 2016); rows of ≤ k tokens are kept as they are. Written to the
    token file `path` one batch at a time (rows keep their lengths, so the offsets are the input's)."""
    fill = TokenFileFill(path, data.offsets)
    try:
        for a in range(0, len(data.ids), 1 << 24):
            fill.ids[a : a + (1 << 24)] = data.ids[a : a + (1 << 24)]
        lengths = data.lengths()
        for n in np.unique(lengths[lengths > prefix_tokens]):
            index = np.nonzero(lengths == n)[0]
            rows_per_batch = max(1, batch_tokens // int(n))
            for a in range(0, len(index), rows_per_batch):
                batch = index[a : a + rows_per_batch]
                generated = greedy_rows(teacher, [data.row(i)[:prefix_tokens] for i in batch], int(n) - prefix_tokens, batch_tokens)
                for j, i in enumerate(batch):
                    fill.ids[data.offsets[i] + prefix_tokens : data.offsets[i + 1]] = generated[j]
        return fill.publish()
    except BaseException:
        fill.discard()
        raise


@torch.no_grad()
def evaluate(model, data, batch_size, device, autocast):
    """Token-weighted mean cross-entropy (nats) over the data's predicting positions."""
    model.module.eval()
    total, count = 0.0, 0
    for a in range(0, len(data), batch_size):
        input_ids, mask = pad_batch([data.row(i) for i in range(a, min(len(data), a + batch_size))], device=device)
        with autocast():
            logits = model.logits(input_ids, mask)
        total += ce_loss_sum(logits, input_ids, mask).item()
        count += int((mask[:, 1:]).sum())
    model.module.train()
    return total / max(1, count)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="memsieve_torch.distill", description=__doc__.splitlines()[0])
    p.add_argument("--mode", choices=("soft", "hard", "ce"), required=True)
    p.add_argument("--teacher", help="teacher checkpoint folder (soft and hard)")
    p.add_argument("--student", help="initialize the student from this checkpoint folder")
    p.add_argument("--student-config", help="or: random initialization from this config (folder or config.json), seeded by --seed")
    p.add_argument("--data", required=True, help="training token file")
    p.add_argument("--validation", help="held-out token file: loss and perplexity after each epoch")
    p.add_argument("--out", required=True, help="output checkpoint folder")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--min-lr", type=float, default=0.0)
    p.add_argument("--schedule", choices=("cosine", "constant"), default="cosine")
    p.add_argument("--warmup-steps", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=32, help="rows per optimizer step")
    p.add_argument("--grad-accum", type=int, default=1, help="split each batch into this many micro-batches")
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--grad-clip", type=float, default=1.0)
    p.add_argument("--temperature", type=float, default=2.0, help="soft KD temperature T")
    p.add_argument("--prefix-tokens", type=int, default=50, help="hard KD: prefix length k")
    p.add_argument("--hard-data-out", help="hard KD: also save the teacher's sequences as a token file")
    p.add_argument("--targets-given", action="store_true",
                   help="hard KD: --data already holds the teacher's sequences (memsieve targets); generate nothing")
    p.add_argument("--max-steps", type=int, default=0,
                   help="stop after this many optimizer steps (0: run every epoch); the epochs needed are run (Adaptive-SeqKD)")
    p.add_argument("--provenance", default="{}", help="JSON object recorded in distill.json as how the inputs were made")
    p.add_argument("--bf16", action="store_true", help="bfloat16 autocast (CUDA only)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--log-every", type=int, default=10, help="optimizer steps between progress lines")
    p.add_argument("--checkpoint-epochs", type=int, default=1, help="save a resume point every N epochs (0: never)")
    return p.parse_args(argv)


# what changes the trained weights; the output folder, device and logging do not
RUN_ARGS = ("mode", "teacher", "student", "student_config", "epochs", "lr", "min_lr", "schedule", "warmup_steps", "batch_size",
            "grad_accum", "weight_decay", "grad_clip", "temperature", "prefix_tokens", "bf16", "seed", "targets_given", "max_steps")


def files_identity(path):
    """Name, size and modification time of a checkpoint's files (or of a config file): a model changed in
    place between a crash and the rerun must not be resumed. Hashing gigabytes of weights would cost more."""
    if not path:
        return None
    files = [os.path.join(path, name) for name in sorted(os.listdir(path))] if os.path.isdir(path) else [path]
    return [(os.path.basename(f), os.stat(f).st_size, os.stat(f).st_mtime_ns) for f in files if os.path.isfile(f)]


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


class Resume:
    """OUT.resume/: the last epoch's training state, valid only for the run that wrote it."""

    def __init__(self, args):
        self.folder = f"{args.out.rstrip('/')}.resume"
        identity = {name: getattr(args, name) for name in RUN_ARGS}
        identity["models"] = [files_identity(getattr(args, name)) for name in ("teacher", "student", "student_config")]
        identity["data"] = file_sha256(args.data)  # the token file's path is a fresh temporary one each run
        identity["validation"] = file_sha256(args.validation) if args.validation else None
        self.fingerprint = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
        self.state = None
        try:
            with open(self.path("fingerprint")) as f:
                matches = f.read().strip() == self.fingerprint
        except OSError:
            matches = False
        if not matches:
            shutil.rmtree(self.folder, ignore_errors=True)
            os.makedirs(self.folder)
            with open(self.path("fingerprint"), "w") as f:
                f.write(self.fingerprint)
        elif os.path.exists(self.path("state.pt")):
            self.state = torch.load(self.path("state.pt"), map_location="cpu")

    def path(self, name):
        return os.path.join(self.folder, name)

    def save(self, **state):
        tmp = self.path(f"state.pt.tmp-{os.getpid()}")
        torch.save(state, tmp)
        os.replace(tmp, self.path("state.pt"))

    def remove(self):
        shutil.rmtree(self.folder, ignore_errors=True)


def check_args(args):
    if args.mode == "soft" or (args.mode == "hard" and not args.targets_given):
        if not args.teacher:
            raise DataError(f"--mode {args.mode} needs --teacher")
    if bool(args.student) == bool(args.student_config):
        raise DataError("give exactly one of --student (a checkpoint) or --student-config (random initialization)")
    if args.checkpoint_epochs < 0 or args.max_steps < 0:
        raise DataError("--checkpoint-epochs and --max-steps must be ≥ 0")
    if args.targets_given and args.mode != "hard":
        raise DataError("--targets-given is for --mode hard")
    try:
        args.provenance = json.loads(args.provenance)
    except ValueError as error:
        raise DataError(f"--provenance: not JSON ({error})") from None
    for name in ("epochs", "batch_size", "grad_accum"):
        if getattr(args, name) < 1:
            raise DataError(f"--{name.replace('_', '-')} must be ≥ 1")
    if args.batch_size % args.grad_accum:
        raise DataError(f"--batch-size {args.batch_size} must be a multiple of --grad-accum {args.grad_accum}")
    if args.temperature <= 0 or args.lr <= 0:
        raise DataError("--temperature and --lr must be > 0")
    if os.path.exists(args.out) and os.listdir(args.out) and not os.path.exists(os.path.join(args.out, "distill.json")):
        raise DataError(f"--out {args.out}: folder exists and is not a previous distill output; choose another")


def train(args):
    check_args(args)
    device = resolve_device(args.device)
    if args.bf16 and device.type != "cuda":
        raise DataError("--bf16 autocast needs a CUDA device (--device cuda)")
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
    torch.use_deterministic_algorithms(True, warn_only=True)

    def autocast():
        return torch.autocast("cuda", dtype=torch.bfloat16) if args.bf16 else contextlib.nullcontext()

    data = read_token_file(args.data)
    validation = read_token_file(args.validation) if args.validation else None
    if len(data) == 0:
        raise DataError(f"--data {args.data}: no rows")
    teacher = load_model(args.teacher, device) if args.teacher and args.mode != "ce" and not args.targets_given else None
    student = load_model(args.student, device) if args.student else init_model(args.student_config, args.seed, device)
    if teacher is not None and teacher.vocab_size != student.vocab_size:
        raise DataError(
            f"teacher {args.teacher} has a vocabulary of {teacher.vocab_size}, the student {student.vocab_size}; "
            "distillation needs the same tokenizer"
        )
    for name, d in (("--data", data), ("--validation", validation)):
        if d is not None and d.max_id() >= student.vocab_size:
            raise DataError(f"{name} {d.path}: token id {d.max_id()} is outside the student's vocabulary of {student.vocab_size}")

    started = time.perf_counter()
    resume = Resume(args)
    if args.mode == "hard" and not args.targets_given:
        # the teacher's sequences live in the resume folder until the student is published
        hard_path = resume.path("hard.tokens")
        reused = os.path.exists(hard_path)
        if reused:
            data = read_token_file(hard_path)
        else:
            teacher.module.eval()
            data = hard_kd_data(teacher, data, args.prefix_tokens, hard_path)
        emit("hard_data", rows=len(data), seconds=round(time.perf_counter() - started, 3), reused=reused)
        teacher = None  # not needed for cross-entropy on its sequences

    torch.manual_seed(args.seed)
    student.module.train()
    optimizer = torch.optim.AdamW(student.module.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    batches_per_epoch = math.ceil(len(data) / args.batch_size)
    total_steps = batches_per_epoch * args.epochs
    if args.max_steps:
        total_steps = args.max_steps
        args.epochs = math.ceil(args.max_steps / batches_per_epoch)
    micro = args.batch_size // args.grad_accum
    emit("start", mode=args.mode, rows=len(data), epochs=args.epochs, steps=total_steps, device=str(device),
         student_parameters=sum(p.numel() for p in student.module.parameters()))
    history, step, first_epoch = [], 0, 0
    if resume.state is not None:
        state = resume.state
        student.module.load_state_dict(state["student"])
        optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["torch_rng"])
        if state["cuda_rng"] is not None and device.type == "cuda":
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        history, step, first_epoch = state["history"], state["step"], state["epoch"]
        emit("resume", epoch=first_epoch, step=step)
    for epoch in range(first_epoch, args.epochs):
        order = torch.randperm(len(data), generator=torch.Generator().manual_seed(args.seed * 100003 + epoch)).tolist()
        epoch_loss, epoch_positions = 0.0, 0
        for first in range(0, len(order), args.batch_size):
            if step == total_steps:
                break
            rows = order[first : first + args.batch_size]
            lr = learning_rate(step, total_steps, args.lr, args.warmup_steps, args.min_lr, args.schedule)
            for group in optimizer.param_groups:
                group["lr"] = lr
            positions = sum(max(0, len(data.row(i)) - 1) for i in rows)
            batch_loss = 0.0
            for m in range(0, len(rows), micro):
                input_ids, mask = pad_batch([data.row(i) for i in rows[m : m + micro]], device=device)
                with autocast():
                    logits = student.logits(input_ids, mask)
                    if args.mode == "soft":
                        with torch.no_grad():
                            teacher_logits = teacher.logits(input_ids, mask)
                        loss = soft_kd_loss_sum(logits, teacher_logits, mask, args.temperature)
                    else:
                        loss = ce_loss_sum(logits, input_ids, mask)
                    loss = loss / max(1, positions)
                loss.backward()
                batch_loss += loss.item()
            if args.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(student.module.parameters(), args.grad_clip)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            epoch_loss += batch_loss * positions
            epoch_positions += positions
            if step % args.log_every == 0 or step == total_steps:
                emit("step", epoch=epoch + 1, step=step, steps=total_steps, loss=round(batch_loss, 6), lr=lr,
                     seconds=round(time.perf_counter() - started, 3))
        record = {"epoch": epoch + 1, "train_loss": epoch_loss / max(1, epoch_positions)}
        if validation is not None:
            val_loss = evaluate(student, validation, micro, device, autocast)
            record.update(val_loss=val_loss, val_ppl=math.exp(min(val_loss, 700)))
        history.append(record)
        if args.checkpoint_epochs and (epoch + 1) % args.checkpoint_epochs == 0 and epoch + 1 < args.epochs:
            resume.save(epoch=epoch + 1, step=step, history=history, student=student.module.state_dict(),
                        optimizer=optimizer.state_dict(), torch_rng=torch.get_rng_state(),
                        cuda_rng=torch.cuda.get_rng_state_all() if device.type == "cuda" else None)
        emit("epoch", **record)

    summary = {
        "mode": args.mode,
        "args": {k: v for k, v in vars(args).items() if k != "provenance"},
        "provenance": args.provenance,
        "history": history,
        "steps": step,
        "seconds": round(time.perf_counter() - started, 3),
        "torch": torch.__version__,
        "device": str(device),
    }
    publish(student, args.out, summary)
    if args.hard_data_out and args.targets_given:
        shutil.copyfile(args.data, args.hard_data_out)
    elif args.hard_data_out:
        shutil.move(resume.path("hard.tokens"), args.hard_data_out)
    resume.remove()
    emit("done", out=args.out, **{k: v for k, v in history[-1].items() if k != "epoch"}, steps=step, seconds=summary["seconds"])


def publish(student, out, summary):
    """Write the checkpoint beside `out`, then swap it in: a crash never leaves a complete-looking folder."""
    tmp = f"{out.rstrip('/')}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    save_model(student, tmp)
    with open(os.path.join(tmp, "distill.json"), "w") as f:
        json.dump(summary, f, indent=2)
    if os.path.exists(out):
        shutil.rmtree(out)
    os.replace(tmp, out)


def main(argv=None):
    global _progress
    # progress owns stdout; stray library prints go to stderr
    _progress = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # deterministic cuBLAS, before CUDA starts
    args = parse_args(argv)
    try:
        train(args)
    except DataError as error:
        emit("error", message=str(error))
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
