#!/usr/bin/env python3
"""PyTorch reference for Spindle's throughput benchmark (bench/run-comparison.sh).

The same baseline LM as io.spindle.layers.model.TransformerLM: byte vocabulary of 258, token
embedding, pre-norm blocks of RMSNorm -> causal multi-head attention with RoPE (half-split, base
10000, no biases) and RMSNorm -> SwiGLU, final RMSNorm, untied head, mean cross-entropy, global-norm clipping at 1.0, AdamW (as Spindle's RankTrainer step).
Prints one ``RESULT throughput framework=pytorch ...`` line per flavor, the format the script reads,
and with --sgemm one ``RESULT sgemm path=torch ...`` line per size.

Usage: reference_lm.py [--flavors tiny,small,engine] [--steps N] [--warmup N] [--threads 2]
                       [--corpus FILE] [--sgemm]
"""
import argparse
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB = 258
MIN_WARMUP_SECONDS = 3.0  # the same warmup policy as StepTimes.java (there for the JIT)

# name: (d_model, layers, heads, ffn_hidden, seq, batch, warmup, steps); as ThroughputBench.java
FLAVORS = {
    "tiny": (128, 4, 4, 384, 128, 16, 3, 20),
    "small": (384, 6, 6, 1024, 256, 8, 2, 8),
    "engine": (128, 2, 4, 384, 64, 8, 5, 50),
}


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(seq, head_dim, base=10000.0):
    inv_freq = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)
    angles = torch.outer(torch.arange(seq, dtype=torch.float32), inv_freq)  # [T, hd/2]
    return angles.cos(), angles.sin()


def apply_rope(x, cos, sin):
    # half-split: [x1, x2] -> [x1 cos - x2 sin, x2 cos + x1 sin]; x: [B, H, T, hd]
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)


class Attention(nn.Module):
    def __init__(self, d, heads, seq):
        super().__init__()
        self.heads, self.head_dim = heads, d // heads
        self.wq = nn.Linear(d, d, bias=False)
        self.wk = nn.Linear(d, d, bias=False)
        self.wv = nn.Linear(d, d, bias=False)
        self.wo = nn.Linear(d, d, bias=False)
        cos, sin = rope_tables(seq, self.head_dim)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)
        self.register_buffer("mask", torch.triu(torch.ones(seq, seq, dtype=torch.bool), 1), persistent=False)

    def forward(self, x):
        b, t, d = x.shape
        split = lambda y: y.view(b, t, self.heads, self.head_dim).transpose(1, 2)  # [B, H, T, hd]
        q = apply_rope(split(self.wq(x)), self.cos[:t], self.sin[:t])
        k = apply_rope(split(self.wk(x)), self.cos[:t], self.sin[:t])
        v = split(self.wv(x))
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(self.head_dim)
        probs = scores.masked_fill(self.mask[:t, :t], float("-inf")).softmax(dim=-1)
        return self.wo((probs @ v).transpose(1, 2).reshape(b, t, d))


class SwiGLU(nn.Module):
    def __init__(self, d, hidden):
        super().__init__()
        self.w1 = nn.Linear(d, hidden, bias=False)
        self.w2 = nn.Linear(hidden, d, bias=False)
        self.w3 = nn.Linear(d, hidden, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class Block(nn.Module):
    def __init__(self, d, heads, hidden, seq):
        super().__init__()
        self.attn_norm, self.attn = RMSNorm(d), Attention(d, heads, seq)
        self.ffn_norm, self.ffn = RMSNorm(d), SwiGLU(d, hidden)

    def forward(self, x):
        h = x + self.attn(self.attn_norm(x))
        return h + self.ffn(self.ffn_norm(h))


class LM(nn.Module):
    def __init__(self, d, layers, heads, hidden, seq):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, d)
        self.blocks = nn.ModuleList(Block(d, heads, hidden, seq) for _ in range(layers))
        self.final_norm = RMSNorm(d)
        self.head = nn.Linear(d, VOCAB, bias=False)
        out_std = 0.02 / math.sqrt(2 * layers)  # GPT-2 residual-projection scaling, as TransformerBlock
        for name, p in self.named_parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=out_std if name.endswith(("wo.weight", "w2.weight")) else 0.02)

    def forward(self, inputs, targets):
        x = self.embed(inputs)
        for block in self.blocks:
            x = block(x)
        logits = self.head(self.final_norm(x))
        return F.cross_entropy(logits.view(-1, VOCAB), targets.view(-1))


def batches(corpus, seq, batch, generator):
    """Random windows of the corpus bytes, or uniform random tokens without a corpus."""
    while True:
        if corpus is None:
            tokens = torch.randint(0, VOCAB, (batch, seq + 1), generator=generator)
        else:
            starts = torch.randint(0, len(corpus) - seq - 1, (batch,), generator=generator)
            tokens = torch.stack([corpus[s:s + seq + 1] for s in starts.tolist()])
        yield tokens[:, :-1].contiguous(), tokens[:, 1:].contiguous()


def train_flops_per_token(matmul_params, layers, d, seq):
    # PaLM (Chowdhery et al. 2022, app. B): 6 per matmul weight + 12*L*d*T for attention scores/values
    return 6.0 * matmul_params + 12.0 * layers * d * seq


def run(name, steps, warmup, corpus):
    d, layers, heads, hidden, seq, batch, default_warmup, default_steps = FLAVORS[name]
    steps = steps or default_steps
    warmup = default_warmup if warmup is None else warmup
    torch.manual_seed(1)
    model = LM(d, layers, heads, hidden, seq)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
    params = sum(p.numel() for p in model.parameters())
    matmul_params = sum(p.numel() for n, p in model.named_parameters() if p.dim() == 2 and not n.startswith("embed"))
    data = batches(corpus, seq, batch, torch.Generator().manual_seed(7))

    def step():
        inputs, targets = next(data)
        opt.zero_grad(set_to_none=True)
        loss = model(inputs, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # as Spindle's RankTrainer
        opt.step()
        return loss.item()

    loss_first = step()
    warmup_start, done = time.perf_counter(), 0
    while done < warmup or time.perf_counter() - warmup_start < MIN_WARMUP_SECONDS:
        step()
        done += 1
    times, loss_last = [], loss_first
    for _ in range(steps):
        t0 = time.perf_counter()
        loss_last = step()
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    median = statistics.median(times)
    p90 = times[max(0, math.ceil(0.9 * len(times)) - 1)]
    tokens = seq * batch
    print(f"RESULT throughput framework=pytorch flavor={name} params={params} matmul_params={matmul_params} "
          f"layers={layers} d_model={d} seq={seq} batch={batch} steps={steps} ms_median={median:.1f} "
          f"ms_p90={p90:.1f} tokens_per_s={tokens / (median / 1e3):.0f} "
          f"train_gflop_per_token={train_flops_per_token(matmul_params, layers, d, seq) / 1e9:.6f} "
          f"loss_first={loss_first:.4f} loss_last={loss_last:.4f}", flush=True)


def sgemm():
    for n in (512, 1024, 2048):
        a, b = torch.rand(n, n) - 0.5, torch.rand(n, n) - 0.5
        a @ b
        a @ b
        t0 = time.perf_counter()
        a @ b
        reps = int(max(5, min(200, 1.0 / (time.perf_counter() - t0))))
        rates = []
        for _ in range(reps):
            t0 = time.perf_counter()
            a @ b
            rates.append(2.0 * n ** 3 / (time.perf_counter() - t0) / 1e9)
        rates.sort()
        print(f"RESULT sgemm path=torch n={n} gflops_median={rates[len(rates) // 2]:.1f} "
              f"gflops_best={rates[-1]:.1f}", flush=True)


def loaded_blas():
    """The BLAS libraries mapped into this process after a matmul (Debian's torch uses libblas.so.3)."""
    torch.ones(64, 64) @ torch.ones(64, 64)
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    except OSError:
        return "unknown"
    return ",".join(sorted(paths)) or "none"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flavors", default="tiny,small,engine")
    ap.add_argument("--steps", type=int, default=0, help="timed steps (default: per flavor)")
    ap.add_argument("--warmup", type=int, default=None, help="untimed steps after the first (default: per flavor)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--corpus", help="train on this file's bytes instead of random tokens")
    ap.add_argument("--sgemm", action="store_true", help="also measure torch.mm GFLOP/s at 512, 1024, 2048")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    corpus = None
    if args.corpus:
        with open(args.corpus, "rb") as f:
            corpus = torch.tensor(list(f.read()), dtype=torch.long)
    print(f"ENV torch={torch.__version__} threads={torch.get_num_threads()} blas={loaded_blas()}", flush=True)
    for name in args.flavors.split(","):
        if name not in FLAVORS:
            ap.error(f"unknown flavor {name}; choose from {', '.join(FLAVORS)}")
        run(name, args.steps, args.warmup, corpus)
    if args.sgemm:
        sgemm()


if __name__ == "__main__":
    main()
