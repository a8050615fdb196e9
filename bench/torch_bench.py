#!/usr/bin/env python3
"""PyTorch reference for `dml-lab bench`: the same models, losses, shapes and batch, timed the
same way (warm-up steps, then timed steps ending with a loss readback), one JSON object per line.

    python3 bench/torch_bench.py [--device cpu|cuda] [--models dml,dml-ae] [--steps 20]

Mirrors src/model (MLP 784 -> 512 -> 256 -> d, mirror decoder), src/losses (batch-all triplet
averaged over active triplets, sigmoid-MSE reconstruction, KL terms per pixel) and
src/train (joint schedule, alpha 0.5, Adam lr 1e-3, u8 images turned into floats per batch,
losses read back every step on the CPU and every 16 steps on a GPU).
"""
import argparse
import json
import math
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

PIXELS = 784
MODELS = ["dml", "dml-ae", "dml-unit-prior", "dml-gmm-prior", "metric-vae"]
READ_EVERY_GPU = 16


def mlp(widths):
    layers = []
    for i, (a, b) in enumerate(zip(widths, widths[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class LabModel(nn.Module):
    def __init__(self, kind, d, train_images):
        super().__init__()
        self.kind = kind
        self.variational = kind in ("dml-unit-prior", "dml-gmm-prior", "metric-vae")
        self.encoder = mlp([PIXELS, 512, 256, 2 * d if self.variational else d])
        self.decoder = mlp([d, 256, 512, PIXELS]) if kind in ("dml-ae", "metric-vae") else None
        self.pseudo = None
        if kind == "metric-vae":
            idx = torch.randperm(train_images.shape[0])[:100]
            self.pseudo = nn.Parameter(train_images[idx].float() / 255.0)

    def encode(self, x):
        out = self.encoder(x)
        if not self.variational:
            return out, None
        d = out.shape[1] // 2
        return out[:, :d], out[:, d:].clamp(-12.0, 8.0)


def pairwise_euclidean(x):
    sq = (x * x).sum(1, keepdim=True)
    return (sq + sq.t() - 2.0 * x @ x.t()).clamp_min(0.0).clamp_min(1e-12).sqrt()


def triplet_batch_all(emb, labels_np, margin=1.0):
    """Our formulation: anchor-positive pairs x all negatives, mean over active triplets."""
    b = labels_np.shape[0]
    same = labels_np[:, None] == labels_np[None, :]
    np.fill_diagonal(same, False)
    anchors, positives = np.nonzero(same)
    dev = emb.device
    a = torch.from_numpy(anchors).to(dev)
    flat = torch.from_numpy(anchors * b + positives).to(dev)
    neg = torch.from_numpy((labels_np[anchors][:, None] != labels_np[None, :]).astype(np.float32)).to(dev)
    dist = pairwise_euclidean(emb)
    d_ap = dist.reshape(-1)[flat].reshape(-1, 1)
    d_an = dist[a]
    costs = F.relu(d_ap - d_an + margin) * neg
    active = (costs.detach() > 1e-16).float().sum()
    return costs.sum() / active.clamp_min(1.0)


def gaussian_log_density(z, mean, logvar):
    d = z.shape[1]
    return -0.5 * (((z - mean) ** 2) * torch.exp(-logvar) + logvar).sum(1) - 0.5 * d * math.log(2 * math.pi)


def mixture_log_density(z, means, logvars):
    k, d = means.shape
    diff = z[:, None, :] - means[None, :, :]
    per = -0.5 * ((diff ** 2) * torch.exp(-logvars)[None] + logvars[None]).sum(2) - 0.5 * d * math.log(2 * math.pi)
    return torch.logsumexp(per, 1) - math.log(k)


def sample(mean, logvar):
    z = mean + torch.randn_like(mean) * torch.exp(0.5 * logvar)
    return z, gaussian_log_density(z, mean, logvar)


def recon(model, z, x):
    return ((torch.sigmoid(model.decoder(z)) - x) ** 2).sum(1).mean() / PIXELS


def step_loss(model, kind, xl, yl_np, xu, gmm, alpha=0.5):
    mean, _ = model.encode(xl)
    ls = triplet_batch_all(mean, yl_np)
    if kind == "dml":
        return ls
    mean_u, logvar_u = model.encode(xu)
    if kind == "dml-ae":
        lu = recon(model, mean_u, xu)
    elif kind == "dml-unit-prior":
        lu = (0.5 * (mean_u ** 2 + logvar_u.exp() - logvar_u - 1.0).sum(1)).mean() / PIXELS
    elif kind == "dml-gmm-prior":
        z, log_q = sample(mean_u, logvar_u)
        lu = (log_q - mixture_log_density(z, *gmm)).mean() / PIXELS
    else:  # metric-vae, VampPrior
        pm, plv = model.encode(model.pseudo.clamp(0.0, 1.0))
        z, log_q = sample(mean_u, logvar_u)
        kl = (log_q - mixture_log_density(z, pm, plv)).mean() / PIXELS
        lu = recon(model, z, xu) + kl
    return (1.0 - alpha) * ls + alpha * lu


def bench(kind, images, labels, args, device):
    torch.manual_seed(0)
    gen = np.random.default_rng(0)
    d = args.lsdim
    model = LabModel(kind, d, images).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gmm = None
    if kind == "dml-gmm-prior":
        verts = torch.tensor([[1.0 if v >> i & 1 else -1.0 for i in range(d)] for v in range(1 << d)])
        gmm = (verts.to(device), torch.ones_like(verts).to(device))
    images_dev = images.to(device)  # u8, as in the lab: floats only for the batch
    n = images.shape[0]
    read_every = 1 if device.type == "cpu" else READ_EVERY_GPU

    def one_step(i, pending):
        li = gen.integers(0, n, args.batch_size)
        ui = torch.from_numpy(gen.integers(0, n, args.batch_size)).to(device)
        xl = images_dev[torch.from_numpy(li).to(device)].float() / 255.0
        xu = images_dev[ui].float() / 255.0
        loss = step_loss(model, kind, xl, labels[li], xu, gmm)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        pending.append(loss.detach())
        if len(pending) >= read_every:
            values = torch.stack(pending).tolist()
            pending.clear()
            if not all(math.isfinite(v) for v in values):
                raise SystemExit(f"{kind}: non-finite loss")

    pending = []
    for i in range(args.steps):
        one_step(i, pending)
    if pending:
        torch.stack(pending).tolist()
        pending.clear()
    start = time.perf_counter()
    for i in range(args.steps):
        one_step(i, pending)
    if pending:
        torch.stack(pending).tolist()
    seconds = time.perf_counter() - start
    batches = 1 if kind == "dml" else 2
    sps = args.steps / seconds
    return {
        "backend": f"pytorch-{device.type}",
        "model": kind,
        "batch_size": args.batch_size,
        "lsdim": d,
        "batches_per_step": batches,
        "steps": args.steps,
        "seconds": seconds,
        "steps_per_s": sps,
        "samples_per_s": sps * args.batch_size * batches,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "device_name": torch.cuda.get_device_name() if device.type == "cuda" else None,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cpu")
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--lsdim", type=int, default=10)
    p.add_argument("--steps", type=int, default=20)
    args = p.parse_args()
    device = torch.device(args.device)
    gen = np.random.default_rng(0)
    images = torch.from_numpy(gen.integers(0, 256, (60000, PIXELS), dtype=np.uint8))
    labels = gen.integers(0, 10, 60000).astype(np.uint8)
    for kind in args.models.split(","):
        if kind not in MODELS:
            sys.exit(f"unknown model {kind!r}; one of {', '.join(MODELS)}")
        line = bench(kind, images, labels, args, device)
        print(f"{kind:<15} {line['steps_per_s']:8.2f} steps/s {line['samples_per_s']:9.0f} images/s", file=sys.stderr)
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
