#!/usr/bin/env python3
"""Measure training and inference time and energy of wafersim networks on
your own GPU, in the format `wafersim validate gpu` reads.

    python3 tools/measure_gpu.py uno p1b1 --batch 32,256 --out my_gpu/
    wafersim validate gpu my_gpu/train.jsonl --gpu MY_GPU.yaml \
        --graphs my_gpu/graphs.jsonl

What it supports, honestly:
- Networks are read from the zoo's YAML format (models/nets/NAME.yaml, or
  any file in that format you point at): the script builds a PyTorch module
  from it.  Ops: dense, conv (1-3 D, groups), maxpool, avgpool,
  globalavgpool, batchnorm, layernorm, relu, sigmoid, tanh, gelu, softmax,
  dropout, embedding (also a table used whole, `in: []`), attention
  (packed qkv or q, k, v), add, sub, mul, div, matmul, concat, flatten,
  reshape, transpose, split, slice, squeeze, mse_loss, cross_entropy; blocks
  with params, repeat, share/shared.  Anything else stops with a message
  naming the layer.  ONNX files are not read: write the network in YAML.
- A training step is what wafersim models: zero_grad(set_to_none=True),
  forward, loss, backward, optimizer step (SGD with momentum 0.9 by
  default; --optimizer sgd|momentum|adam), synthetic inputs already on the
  GPU, no input pipeline, one GPU.
- fp32 uses PyTorch's defaults (TF32 off for matmul, on for cuDNN); bf16 and
  fp16 use torch.autocast around forward and loss (fp16 without a loss
  scaler: timing only).
- Times are CUDA-event medians (>= 10 steps and >= 0.6 s after 5 warm-up
  steps).  Energy needs NVML (pip package nvidia-ml-py, module pynvml) and
  a GPU that reports total energy (Volta or newer); without it the energy
  fields are null and `validate gpu` compares times only.
- --graphs also captures the step in a CUDA graph (graphs.jsonl), the GPU
  without launch and framework overhead.
- --micro adds microbenchmarks (micro.jsonl): GEMMs (the GEMM-rate curve),
  copy bandwidth, small-batch fp32 GEMMs (tile fill), unaligned bf16 GEMMs
  over their output rows (the fallback's tiles), sustained GEMMs' power
  and SM clock with random operands and with a share of zeros (power-cap
  throttling, data-dependent power; needs NVML), batch norm forward,
  backward and inference over channels and spatial sizes in fp32 and bf16
  (PyTorch's per-channel blocks vs cuDNN), depthwise convolution forward
  and backward (PyTorch's kernels), the host time per op under
  no_grad with and without autocast and in training, and per attention
  call with cuDNN's SDPA and with flash attention (docs/gpu.md,
  section 7, says which constant each one measures).
- --profile runs 5 training steps and 5 inference batches of each
  configuration under PyTorch's profiler (profile.jsonl: every CUDA
  kernel's calls and device time per step, every CPU-side op's calls and
  self time per step); `wafersim validate gpu --profile FILE` sets the
  kernels, by kind, against the model's (docs/gpu.md, "Profiles").
- Each train.jsonl row names its network: the YAML measured is copied
  into the output folder and the row's "network_file" points at it
  (relative to train.jsonl), so `wafersim validate gpu` predicts the row
  on exactly that network; the network is also exported as NAME.onnx
  there ("onnx_file"; null if the export fails).

Needs: python3 >= 3.8, PyYAML; for measuring: torch with CUDA (a CUDA GPU
visible to it), optional nvidia-ml-py (pynvml) for energy, optional onnx
for the ONNX export.  `--help` needs none of them; `--check` needs torch
(CPU is enough).
"""
import argparse
import json
import math
import os
import sys
import time

import shutil

try:
    import yaml
except ImportError:  # pragma: no cover
    yaml = None
try:  # --help works without PyTorch; measuring needs it
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:  # pragma: no cover
    torch = nn = F = None

HERE = os.path.dirname(os.path.abspath(__file__))
ZOO = os.path.join(HERE, "..", "models", "nets")


# ------------------------------------------------------------ YAML networks
class NetError(Exception):
    pass


def _list(v):
    if v is None:
        return None
    return v if isinstance(v, list) else [v]


def _tuple(v, n):
    if isinstance(v, (list, tuple)):
        if len(v) == 1:
            return tuple(v) * n
        return tuple(v)
    return (v,) * n


class Layer:
    """One layer after block expansion: op, attributes, inputs, weights owner."""

    def __init__(self, name, op, attrs, inputs, owner):
        self.name, self.op, self.attrs, self.inputs, self.owner = name, op, attrs, inputs, owner


class YamlNet:
    """Expands a zoo YAML network into a flat list of layers (names as
    wafersim prints them: block applications prefixed "app/", repeats
    suffixed ".1", ".2", ...)."""

    def __init__(self, path):
        with open(path) as f:
            self.doc = yaml.safe_load(f)
        if not isinstance(self.doc, dict) or "layers" not in self.doc:
            raise NetError(f"{path}: not a wafersim network (no 'layers')")
        self.path = path
        self.name = self.doc.get("name", os.path.splitext(os.path.basename(path))[0])
        self.batch = int(self.doc.get("batch", 32))
        self.blocks = self.doc.get("blocks") or {}
        self.inputs = {}
        for k, v in (self.doc.get("inputs") or {}).items():
            if isinstance(v, dict):
                self.inputs[k] = (list(v["shape"]), v.get("dtype", "fp32"))
            else:
                self.inputs[k] = (list(v), "fp32")
        self.layers = []
        self.alias = {k: k for k in self.inputs}
        self._expand(self.doc["layers"], prefix="", bind={}, params={}, share_prefix=None,
                     prev=list(self.inputs)[-1] if self.inputs else None)

    def _subst(self, v, params):
        if isinstance(v, str) and v.startswith("$"):
            if v[1:] not in params:
                raise NetError(f"{self.path}: unknown block parameter '{v}'")
            return params[v[1:]]
        if isinstance(v, list):
            return [self._subst(x, params) for x in v]
        return v

    def _resolve(self, n, prefix, bind):
        if n in bind:
            return bind[n]
        for p in (prefix, ""):
            if p + n in self.alias:
                return self.alias[p + n]
        raise NetError(f"{self.path}: input '{n}' names no earlier layer or input")

    def _expand(self, entries, prefix, bind, params, share_prefix, prev):
        for e in entries:
            e = {k: self._subst(v, params) for k, v in e.items()}
            local = e.get("name")
            if not local:
                raise NetError(f"{self.path}: a layer needs a 'name'")
            repeat = int(e.get("repeat", 1))
            share = e.get("share")
            shared = bool(e.get("shared", False))
            first = None
            for r in range(repeat):
                full = prefix + local + (f".{r + 1}" if repeat > 1 else "")
                if share:
                    owner = prefix + share + (f".{r + 1}" if repeat > 1 else "")
                elif share_prefix:
                    owner = share_prefix + local + (f".{r + 1}" if repeat > 1 else "")
                elif r > 0 and shared:
                    owner = first
                else:
                    owner = full
                first = first or full
                ins = _list(e.get("in")) if r == 0 else None
                if ins is None:
                    ins = [prev] if prev is not None else []
                else:
                    ins = [self._resolve(n, prefix, bind) for n in ins]
                if "block" in e:
                    out = self._apply_block(e, full, owner if owner != full else None, ins, params)
                else:
                    op = e.get("op")
                    if not op:
                        raise NetError(f"{self.path}: layer '{full}' needs 'op' or 'block'")
                    attrs = {k: v for k, v in e.items()
                             if k not in ("name", "op", "in", "repeat", "share", "shared")}
                    self.layers.append(Layer(full, op, attrs, ins, owner))
                    out = full
                self.alias[full] = out
                prev = out
            if repeat > 1:
                self.alias[prefix + local] = prev
        return prev

    def _apply_block(self, e, app, share_app, ins, outer_params):
        b = self.blocks.get(e["block"])
        if b is None:
            raise NetError(f"{self.path}: unknown block '{e['block']}' in '{app}'")
        params = dict(b.get("params") or {})
        params.update({k: self._subst(v, outer_params) for k, v in (e.get("with") or {}).items()})
        names = b.get("inputs") or ["in"]
        bind = dict(zip(names, ins))
        out = self._expand(b["layers"], prefix=app + "/", bind=bind, params=params,
                           share_prefix=(share_app + "/") if share_app else None,
                           prev=ins[0] if ins else None)
        if b.get("output"):
            out = self._resolve(b["output"], app + "/", bind)
        return out


class Net(nn.Module if nn is not None else object):
    """Runs the flat layer list; modules are made on the first call, when
    input shapes are known (call it once before creating the optimizer)."""

    LOSSES = ("mse_loss", "cross_entropy")

    def __init__(self, ynet):
        super().__init__()
        self.y = ynet
        self.mods = nn.ModuleDict()
        self.tables = nn.ParameterDict()

    @staticmethod
    def _key(name):
        return name.replace(".", "_").replace("/", "__")

    def _module(self, L, x):
        a, op = L.attrs, L.op
        key = self._key(L.owner)
        if key in self.mods:
            return self.mods[key]
        bias = bool(a.get("bias", True))
        if op == "dense":
            m = nn.Linear(x.shape[-1], int(a["units"]), bias=bias)
        elif op == "conv":
            nd = x.dim() - 2
            cls = (nn.Conv1d, nn.Conv2d, nn.Conv3d)[nd - 1]
            m = cls(x.shape[1], int(a["filters"]), _tuple(a.get("kernel", 1), nd),
                    stride=_tuple(a.get("stride", 1), nd), padding=_tuple(a.get("padding", 0), nd),
                    dilation=_tuple(a.get("dilation", 1), nd), groups=int(a.get("groups", 1)), bias=bias)
        elif op == "batchnorm":
            m = (nn.BatchNorm1d, nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)[max(x.dim() - 2, 0)](x.shape[1])
        elif op == "layernorm":
            m = nn.LayerNorm(x.shape[-1])
        elif op == "embedding":
            m = nn.Embedding(int(a["vocab"]), int(a["dim"]))
        else:
            return None
        m = m.to(x.device)
        self.mods[key] = m
        return m

    def forward(self, *inputs, targets=None):
        env = dict(zip(self.y.inputs, inputs))
        loss = None
        for L in self.y.layers:
            xs = [env[n] for n in L.inputs]
            x = xs[0] if xs else None
            a, op = L.attrs, L.op
            if op in ("dense", "conv", "batchnorm", "layernorm"):
                y = self._module(L, x)(x)
            elif op == "embedding":
                if not xs:  # a table used whole (position embeddings)
                    key = self._key(L.owner)
                    if key not in self.tables:
                        dev = next(iter(env.values())).device
                        self.tables[key] = nn.Parameter(torch.randn(int(a["vocab"]), int(a["dim"]), device=dev))
                    y = self.tables[key]
                else:
                    y = self._module(L, x)(x)
            elif op == "relu":
                y = F.relu(x)
            elif op == "sigmoid":
                y = torch.sigmoid(x)
            elif op == "tanh":
                y = torch.tanh(x)
            elif op == "gelu":
                y = F.gelu(x)
            elif op == "softmax":
                ax = int(a.get("axis", -1))
                y = F.softmax(x, dim=ax + 1 if ax >= 0 else ax)
            elif op == "dropout":
                y = F.dropout(x, float(a.get("rate", 0.5)), self.training)
            elif op in ("maxpool", "avgpool"):
                nd = x.dim() - 2
                k = _tuple(a.get("kernel", 2), nd)
                fn = {("maxpool", 1): F.max_pool1d, ("maxpool", 2): F.max_pool2d, ("maxpool", 3): F.max_pool3d,
                      ("avgpool", 1): F.avg_pool1d, ("avgpool", 2): F.avg_pool2d, ("avgpool", 3): F.avg_pool3d}[(op, nd)]
                y = fn(x, k, stride=_tuple(a.get("stride", a.get("kernel", 2)), nd),
                       padding=_tuple(a.get("padding", 0), nd), ceil_mode=bool(a.get("ceil_mode", False)))
            elif op == "globalavgpool":
                y = x.mean(dim=tuple(range(2, x.dim())), keepdim=True)
            elif op in ("add", "sub", "mul", "div"):
                y = xs[0]
                for z in xs[1:]:
                    y = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div}[op](y, z)
            elif op == "matmul":
                y = torch.matmul(xs[0], xs[1])
            elif op == "concat":
                ax = int(a.get("axis", 0))
                # torch.cat promotes mixed types itself, in the one kernel
                y = torch.cat(xs, dim=ax + 1 if ax >= 0 else ax)
            elif op == "flatten":
                y = x.flatten(1)
            elif op == "reshape":
                y = x.reshape(x.shape[0], *[int(s) for s in a["shape"]])
            elif op == "transpose":
                y = x.permute(0, *[int(p) + 1 for p in a["perm"]])
            elif op == "squeeze":
                axes = a.get("axes")
                y = x
                for ax in sorted((_list(axes) or [i for i in range(x.dim() - 1) if x.shape[i + 1] == 1]), reverse=True):
                    y = y.squeeze(int(ax) + 1)
            elif op == "slice":
                ax = int(a.get("axis", 0)) + 1
                y = x[(slice(None),) * ax + (slice(int(a.get("start", 0)), a.get("end"), int(a.get("step", 1))),)]
            elif op == "split":
                raise NetError(f"layer '{L.name}': split is not supported by measure_gpu.py")
            elif op == "attention":
                y = self._attention(L, xs)
            elif op in self.LOSSES:
                if op == "mse_loss":
                    t = xs[1] if len(xs) > 1 else torch.zeros_like(x)
                    y = F.mse_loss(x.float(), t.float())
                else:
                    n = x.shape[-1]
                    t = targets if targets is not None else torch.randint(0, n, x.shape[:-1], device=x.device)
                    y = F.cross_entropy(x.float().reshape(-1, n), t.reshape(-1))
                loss = y
            else:
                raise NetError(f"layer '{L.name}': op '{op}' is not supported by measure_gpu.py")
            env[L.name] = y
        return loss if loss is not None else y

    @staticmethod
    def _attention(L, xs):
        h = int(L.attrs.get("heads", 1))
        causal = bool(L.attrs.get("causal", False))
        if len(xs) == 1:
            q, k, v = xs[0].chunk(3, dim=-1)
        else:
            q, k, v = xs[:3]
        b, s, d = q.shape
        sp = lambda t: t.reshape(b, t.shape[1], h, d // h).transpose(1, 2)
        q, k, v = sp(q), sp(k), sp(v)
        if hasattr(F, "scaled_dot_product_attention"):
            o = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        else:  # PyTorch < 2.0: unfused
            w = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
            if causal:
                w = w.masked_fill(torch.ones(s, s, dtype=torch.bool, device=q.device).triu(1), float("-inf"))
            o = torch.softmax(w, dim=-1) @ v
        return o.transpose(1, 2).reshape(b, s, d)


def make_inputs(ynet, batch, device):
    xs = []
    for name, (shape, dt) in ynet.inputs.items():
        if dt in ("int64", "int32"):
            vocab = 2
            for L in ynet.layers:  # the embedding reading it sets the range
                if L.op == "embedding" and name in L.inputs:
                    vocab = int(L.attrs["vocab"])
            xs.append(torch.randint(0, vocab, (batch, *shape), device=device))
        else:
            xs.append(torch.randn(batch, *shape, device=device))
    return xs


def find_net(name):
    if os.path.exists(name):
        return name
    p = os.path.join(ZOO, name + ".yaml")
    if os.path.exists(p):
        return p
    raise NetError(f"network '{name}' must be a file or a zoo name (models/nets/{name}.yaml)")


# ------------------------------------------------------------ measurement
class Energy:
    def __init__(self, index):
        self.h = None
        try:
            import pynvml
            pynvml.nvmlInit()
            self.nv = pynvml
            self.h = pynvml.nvmlDeviceGetHandleByIndex(index)
            pynvml.nvmlDeviceGetTotalEnergyConsumption(self.h)
        except Exception as e:  # energy is optional
            print("measure_gpu: no energy counter (%s); energy fields will be null" % e, file=sys.stderr)
            self.h = None

    def mj(self):
        if self.h is None:
            return None
        try:
            return self.nv.nvmlDeviceGetTotalEnergyConsumption(self.h)
        except Exception:
            return None


def timed(fn, energy, min_iters=10, min_s=0.6, warm=5):
    for _ in range(warm):
        fn()
    torch.cuda.synchronize()
    times = []
    e0 = energy.mj()
    t0 = time.time()
    while len(times) < min_iters or time.time() - t0 < min_s:
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        fn()
        e.record()
        e.synchronize()
        times.append(s.elapsed_time(e))
        if len(times) > 2000:
            break
    torch.cuda.synchronize()
    wall = time.time() - t0
    e1 = energy.mj()
    times.sort()
    j = None if e0 is None or e1 is None else (e1 - e0) / 1000.0 / len(times)
    return {"median_ms": times[len(times) // 2], "min_ms": times[0], "max_ms": times[-1], "iters": len(times),
            "wall_s": wall, "energy_j_per_iter": j, "avg_power_w": None if j is None else j * len(times) / wall}


def make_opt(name, params):
    if name == "sgd":
        return torch.optim.SGD(params, lr=1e-3)
    if name == "adam":
        return torch.optim.Adam(params, lr=1e-3)
    return torch.optim.SGD(params, lr=1e-3, momentum=0.9)


OPT_NAME = {"sgd": "sgd", "momentum": "sgd-momentum", "adam": "adam"}


def autocast(prec):
    if prec == "fp32":
        return torch.autocast("cuda", enabled=False)
    return torch.autocast("cuda", dtype=torch.bfloat16 if prec == "bf16" else torch.float16)


def count_flops(model, inputs):
    try:
        from torch.utils.flop_counter import FlopCounterMode
        fc = FlopCounterMode(display=False)
        with fc:
            model(*inputs).backward()
        model.zero_grad(set_to_none=True)
        fc2 = FlopCounterMode(display=False)
        with torch.no_grad(), fc2:
            model(*inputs)
        return fc.get_total_flops(), fc2.get_total_flops()
    except Exception as e:
        print("measure_gpu: flop count failed:", e, file=sys.stderr)
        return None, None


def build(ynet, batch, device):
    model = Net(ynet).to(device)
    inputs = make_inputs(ynet, batch, device)
    model.train()
    with torch.no_grad():
        model(*inputs)  # make the modules
    return model, inputs


def network_files(path, ynet, out, device):
    """Copy the measured YAML next to the results and export its ONNX:
    (network_file, onnx_file), relative to the output folder."""
    yname = ynet.name + ".yaml"
    if os.path.abspath(path) != os.path.abspath(os.path.join(out, yname)):
        shutil.copyfile(path, os.path.join(out, yname))
    oname = ynet.name + ".onnx"
    try:
        model, inputs = build(ynet, 1, device)
        model.eval()
        torch.onnx.export(model, tuple(inputs), os.path.join(out, oname))
    except Exception as e:  # the measurement does not depend on it
        print(f"measure_gpu: ONNX export of {ynet.name} failed: {e!r}"[:300], file=sys.stderr)
        oname = None
    return yname, oname


def kernel_device_us(e):
    """Device time of a profiler entry, whatever this PyTorch calls it."""
    for attr in ("self_device_time_total", "self_cuda_time_total", "device_time_total", "cuda_time_total"):
        v = getattr(e, attr, None)
        if v is not None:
            return float(v)
    return 0.0


def profiled(fn, steps=5):
    """Run fn `steps` times under PyTorch's profiler (CPU and CUDA
    activities, after the timed loop has warmed it up): every CUDA
    kernel's calls and device time per step, every CPU-side op's calls and
    self time per step (inflated by the profiler's own cost), and the
    wall time per step under the profiler.  `wafersim validate gpu
    --profile` reads the kernels (docs/gpu.md, "Profiles")."""
    from torch.profiler import ProfilerActivity, profile
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        t = time.perf_counter()
        for _ in range(steps):
            fn()
        torch.cuda.synchronize()
        wall = time.perf_counter() - t
    kernels, ops = [], []
    for e in prof.key_averages():
        dev = getattr(e, "device_type", None)
        on_gpu = dev is not None and "CUDA" in str(dev)
        if on_gpu:
            kernels.append({"name": e.key, "calls": e.count / steps,
                            "device_us": kernel_device_us(e) / steps})
        else:
            ops.append({"name": e.key, "calls": e.count / steps,
                        "host_us": float(e.self_cpu_time_total) / steps})
    kernels.sort(key=lambda k: -k["device_us"])
    ops.sort(key=lambda o: -o["host_us"])
    return {"steps": steps, "step_ms": wall / steps * 1e3, "kernels": kernels, "ops": ops}


def profile_rows(rec, opt_name, model, step, infer):
    """profile.jsonl's rows of one configuration (rec names it): a
    training step (model.train()) and an inference batch (model.eval())."""
    rows = []
    for phase, fn, mode in (("train", step, model.train), ("infer", infer, model.eval)):
        mode()
        p = {k: rec.get(k) for k in ("model", "network_file", "batch", "precision")}
        p.update({"phase": phase, "optimizer": OPT_NAME[opt_name]})
        p.update(profiled(fn))
        rows.append(p)
    model.train()
    return rows


def measure_net(path, batches, precs, opt_name, energy, out, graphs, device, prof=False):
    ynet = YamlNet(path)
    net_file, onnx_file = network_files(path, ynet, out, device)
    for b in batches or [ynet.batch]:
        for prec in precs:
            rec = {"model": ynet.name, "network_file": net_file, "onnx_file": onnx_file,
                   "batch": b, "precision": prec}
            try:
                model, inputs = build(ynet, b, device)
                params = sum(p.numel() for p in model.parameters())
                opt = make_opt(opt_name, model.parameters())
                ft = ff = None
                if prec == "fp32":
                    ft, ff = count_flops(model, inputs)

                def step():
                    opt.zero_grad(set_to_none=True)
                    with autocast(prec):
                        loss = model(*inputs)
                    loss.backward()
                    opt.step()

                def infer():
                    with torch.no_grad(), autocast(prec):
                        model(*inputs)

                torch.cuda.reset_peak_memory_stats()
                model.train()
                tr = timed(step, energy)
                model.eval()
                inf = timed(infer, energy)
                model.train()
                rec.update({"params": params, "flops_train_step": ft, "flops_forward": ff, "train": tr,
                            "infer": inf, "peak_mem_mib": torch.cuda.max_memory_allocated() / 2**20,
                            "optimizer": OPT_NAME[opt_name],
                            "tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
                            "tf32_cudnn": torch.backends.cudnn.allow_tf32})
                log(out, "train.jsonl", rec)
                if prof:
                    for p in profile_rows(rec, opt_name, model, step, infer):
                        log(out, "profile.jsonl", p)
                if graphs:
                    log(out, "graphs.jsonl", measure_graph(ynet, b, prec, opt_name, energy, device))
                del model, opt
            except NetError:
                raise
            except Exception as e:
                rec["error"] = repr(e)[:300]
                log(out, "train.jsonl", rec)
            torch.cuda.empty_cache()


def measure_graph(ynet, batch, prec, opt_name, energy, device):
    rec = {"model": ynet.name, "network_file": ynet.name + ".yaml", "batch": batch, "precision": prec,
           "mode": "cuda-graph"}
    try:
        model, inputs = build(ynet, batch, device)
        opt = make_opt(opt_name, model.parameters())

        def step():  # as measure_graphs.py: random targets are graph-safe
            opt.zero_grad(set_to_none=False)
            with autocast(prec):
                loss = model(*inputs)
            loss.backward()
            opt.step()

        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(s):
            for _ in range(3):
                step()
        torch.cuda.current_stream().wait_stream(s)
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g):
            step()
        rec["train"] = timed(g.replay, energy, min_iters=20, min_s=0.5, warm=3)
        rec["optimizer"] = OPT_NAME[opt_name]
    except Exception as e:
        rec["error"] = repr(e)[:300]
    return rec


def micro(out, energy):
    for dt, tf32 in (("fp32", False), ("tf32", True), ("bf16", False), ("fp16", False)):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        dtype = {"fp32": torch.float32, "tf32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[dt]
        for (m, n, k) in [(256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048), (4096, 4096, 4096),
                          (8192, 8192, 8192), (32, 1000, 1000), (256, 1000, 1000), (2048, 1000, 1000),
                          (256, 1000, 5270), (2048, 2000, 60483), (4096, 768, 3072), (8192, 3072, 768),
                          # unaligned (k odd): 16-bit operands beyond L2 above, within L2 here (docs/gpu.md 7.8)
                          (4096, 2000, 2001)]:
            a = torch.randn(m, k, device="cuda", dtype=dtype)
            b = torch.randn(k, n, device="cuda", dtype=dtype)
            r = timed(lambda: a @ b, energy, min_iters=20, min_s=0.15, warm=3)
            log(out, "micro.jsonl", {"kind": "gemm", "dtype": dt, "m": m, "n": n, "k": k,
                                     "median_ms": r["median_ms"], "tflops": 2 * m * n * k / r["median_ms"] / 1e9})
    torch.backends.cuda.matmul.allow_tf32 = False
    for mb in (1, 16, 256, 2048):
        x = torch.empty(mb * 2**20 // 4, device="cuda")
        y = torch.empty_like(x)
        r = timed(lambda: y.copy_(x), energy, min_iters=20, min_s=0.15, warm=3)
        log(out, "micro.jsonl", {"kind": "copy", "mib": mb, "median_ms": r["median_ms"],
                                 "gbs_rw": 2 * mb * 2**20 / r["median_ms"] / 1e6})


def micro_small_gemm(out, energy):
    """fp32 GEMMs with a small batch dimension: the tile fill of the SIMT
    path (docs/gpu.md 7.3)."""
    torch.backends.cuda.matmul.allow_tf32 = False
    for m in (8, 16, 32, 64, 100, 128, 200, 256):
        a = torch.randn(m, 4096, device="cuda")
        b = torch.randn(4096, 4096, device="cuda")
        r = timed(lambda: a @ b, energy, min_iters=50, min_s=0.15, warm=5)
        log(out, "micro.jsonl", {"kind": "gemm_small", "dtype": "fp32", "m": m, "n": 4096, "k": 4096,
                                 "median_ms": r["median_ms"], "tflops": 2 * m * 4096 * 4096 / r["median_ms"] / 1e9})


def micro_unaligned_rows(out, energy):
    """16-bit GEMMs whose operands are not 16-byte aligned (k = 60483, as
    P1B1's first layer, x @ W^T) over the rows of the output: cuBLAS's
    fallback on its own tiles (docs/gpu.md 7.8, "tiles": a 100-row output
    takes as long as a 128-row one on 32 x 32 tiles)."""
    torch.backends.cuda.matmul.allow_tf32 = False
    w = torch.randn(2000, 60483, device="cuda", dtype=torch.bfloat16)
    for m in (32, 64, 96, 100, 128, 160, 256, 2048):
        x = torch.randn(m, 60483, device="cuda", dtype=torch.bfloat16)
        r = timed(lambda: torch.nn.functional.linear(x, w), energy, min_iters=20, min_s=0.15, warm=3)
        log(out, "micro.jsonl", {"kind": "gemm_unaligned", "dtype": "bf16", "m": m, "n": 2000, "k": 60483,
                                 "median_ms": r["median_ms"], "tflops": 2 * m * 2000 * 60483 / r["median_ms"] / 1e9})


def micro_gemm_layout(out, energy):
    """The three GEMMs of nn.Linear by operand layout (cuBLAS terms):
    forward x @ W^T ("tn"), input gradient dy @ W ("nn"), weight gradient
    dy^T @ x ("nt"), fp32 (CUDA cores) and bf16, on BERT-base's shapes:
    docs/gpu.md 7.10 and "What still misses"."""
    torch.backends.cuda.matmul.allow_tf32 = False
    for dt in ("fp32", "bf16"):
        dtype = torch.float32 if dt == "fp32" else torch.bfloat16
        for tokens, d_in, d_out in ((2048, 768, 3072), (8192, 768, 3072), (8192, 3072, 768), (8192, 768, 2304)):
            x = torch.randn(tokens, d_in, device="cuda", dtype=dtype)
            w = torch.randn(d_out, d_in, device="cuda", dtype=dtype)
            dy = torch.randn(tokens, d_out, device="cuda", dtype=dtype)
            for layout, fn, (m, n, k) in (("tn", lambda: x @ w.t(), (tokens, d_out, d_in)),
                                          ("nn", lambda: dy @ w, (tokens, d_in, d_out)),
                                          ("nt", lambda: dy.t() @ x, (d_out, d_in, tokens))):
                r = timed(fn, energy, min_iters=20, min_s=0.15, warm=3)
                log(out, "micro.jsonl", {"kind": "gemm_layout", "dtype": dt, "layout": layout, "m": m, "n": n,
                                         "k": k, "median_ms": r["median_ms"],
                                         "tflops": 2 * m * n * k / r["median_ms"] / 1e9})
            del x, w, dy
            torch.cuda.empty_cache()


def micro_power(out, energy):
    """Power and clocks of sustained GEMMs by operand values: random
    (torch.randn), half zeros as after a ReLU (relu(randn)), all zeros,
    and the first operand with a share z of its elements zeroed at random
    places ("zeros_a", z = 0.25, 0.5, 0.75: a share z of the products has
    a zero operand); fp32 (CUDA cores) and bf16, a large square GEMM and
    BERT's feed-forward shape.  Each row has the time, the average power
    and the energy per GEMM over the timed loop, the SM clock sampled
    while the GEMMs run, and whether the driver lowered the clocks for
    the power limit (NVML clock event reason SW power cap): whether
    micro.jsonl's GEMM rates are power-capped, and how much less a GEMM
    with zero operands draws: the GPU file's calibration.power_zero
    (docs/gpu.md section 4, "Zero operands")."""
    if energy.h is None:
        return
    nv = energy.nv
    reasons = getattr(nv, "nvmlDeviceGetCurrentClocksEventReasons", None) or \
        getattr(nv, "nvmlDeviceGetCurrentClocksThrottleReasons", None)
    power_cap = 0x4  # nvmlClocksEventReasonSwPowerCap
    torch.backends.cuda.matmul.allow_tf32 = False
    for dt in ("fp32", "bf16"):
        dtype = torch.float32 if dt == "fp32" else torch.bfloat16
        for (m, n, k) in ((8192, 8192, 8192), (8192, 3072, 768)):
            for data, z in (("randn", 0.0), ("relu", 0.5), ("zeros", 1.0),
                            ("zeros_a", 0.25), ("zeros_a", 0.5), ("zeros_a", 0.75)):
                a = torch.randn(m, k, device="cuda", dtype=dtype)
                b = torch.randn(k, n, device="cuda", dtype=dtype)
                if data == "relu":
                    a.relu_()
                elif data == "zeros":
                    a.zero_()
                    b.zero_()
                elif data == "zeros_a":
                    a.mul_(torch.rand(m, k, device="cuda") >= z)
                r = timed(lambda: a @ b, energy, min_iters=20, min_s=0.5, warm=5)
                # then the clocks, sampled while the GEMMs run back to back
                # (launches are asynchronous: 8 queued per sample, about
                # 0.3 s of GEMMs in all)
                clocks, capped = [], 0
                for _ in range(min(200, max(3, int(300 / (8 * r["median_ms"]))))):
                    for _ in range(8):
                        a @ b
                    try:
                        clocks.append(nv.nvmlDeviceGetClockInfo(energy.h, nv.NVML_CLOCK_SM))
                        if reasons is not None and reasons(energy.h) & power_cap:
                            capped = 1
                    except Exception:
                        break
                torch.cuda.synchronize()
                log(out, "micro.jsonl", {"kind": "gemm_power", "dtype": dt, "data": data, "zero_products": z,
                                         "m": m, "n": n, "k": k,
                                         "median_ms": r["median_ms"], "tflops": 2 * m * n * k / r["median_ms"] / 1e9,
                                         "avg_power_w": r["avg_power_w"],
                                         "energy_j_per_iter": r.get("energy_j_per_iter"),
                                         "sm_clock_mhz": sorted(clocks)[len(clocks) // 2] if clocks else None,
                                         "power_capped": capped})
                del a, b
                torch.cuda.empty_cache()


def micro_batchnorm(out, energy):
    """BatchNorm2d forward (training and inference) and backward over
    channels and spatial sizes, fp32 (cuDNN) and bf16 input with fp32
    weights (PyTorch's per-channel kernels): docs/gpu.md 7.1, 7.7."""
    for dt in ("fp32", "bf16"):
        dtype = torch.float32 if dt == "fp32" else torch.bfloat16
        for n, c, hw in ((32, 16, 112), (32, 64, 112), (32, 64, 56), (32, 256, 56), (32, 512, 28),
                         (32, 1024, 14), (8, 32, 64), (128, 64, 56)):
            bn = nn.BatchNorm2d(c).cuda()
            x = torch.randn(n, c, hw, hw, device="cuda", dtype=dtype, requires_grad=True)
            g = torch.randn(n, c, hw, hw, device="cuda", dtype=dtype)
            base = {"kind": "batchnorm", "dtype": dt, "n": n, "c": c, "h": hw, "w": hw}
            bn.train()
            r = timed(lambda: bn(x), energy, min_iters=20, min_s=0.15, warm=3)
            log(out, "micro.jsonl", dict(base, **{"pass": "fwd", "median_ms": r["median_ms"]}))
            y = bn(x)
            r = timed(lambda: torch.autograd.grad(y, (x,), g, retain_graph=True), energy,
                      min_iters=20, min_s=0.15, warm=3)
            log(out, "micro.jsonl", dict(base, **{"pass": "bwd", "median_ms": r["median_ms"]}))
            bn.eval()
            with torch.no_grad():
                r = timed(lambda: bn(x), energy, min_iters=20, min_s=0.15, warm=3)
            log(out, "micro.jsonl", dict(base, **{"pass": "infer", "median_ms": r["median_ms"]}))
            del bn, x, g, y
            torch.cuda.empty_cache()


def micro_depthwise(out, energy):
    """Depthwise 3x3 convolution forward and backward (input and weight
    gradients), fp32 and bf16 on channels-first data: docs/gpu.md 7.2."""
    for dt in ("fp32", "bf16"):
        dtype = torch.float32 if dt == "fp32" else torch.bfloat16
        for n, c, hw in ((32, 32, 112), (32, 96, 56), (32, 144, 56), (32, 384, 14), (8, 32, 112)):
            conv = nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False).cuda().to(dtype)
            x = torch.randn(n, c, hw, hw, device="cuda", dtype=dtype, requires_grad=True)
            g = torch.randn(n, c, hw, hw, device="cuda", dtype=dtype)
            base = {"kind": "depthwise", "dtype": dt, "n": n, "c": c, "h": hw, "w": hw, "kernel": 3}
            r = timed(lambda: conv(x), energy, min_iters=20, min_s=0.15, warm=3)
            log(out, "micro.jsonl", dict(base, **{"pass": "fwd", "median_ms": r["median_ms"]}))
            y = conv(x)
            for name, wrt in (("bwd_data", (x,)), ("bwd_weight", (conv.weight,))):
                r = timed(lambda: torch.autograd.grad(y, wrt, g, retain_graph=True), energy,
                          min_iters=20, min_s=0.15, warm=3)
                log(out, "micro.jsonl", dict(base, **{"pass": name, "median_ms": r["median_ms"]}))
            del conv, x, g, y
            torch.cuda.empty_cache()


def host_us_per_op(fn, ops, reps=50):
    """Wall time of fn (a host-bound chain of `ops` ops) per op, in us,
    after 5 warm-up runs."""
    for _ in range(5):
        fn()
    torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(reps):
        fn()
    torch.cuda.synchronize()
    return (time.perf_counter() - t) / reps / ops * 1e6


def micro_host(out):
    """Host time per op: a chain of 200 tiny Linear modules at batch 1 is
    host-bound; wall time per forward / 200.  Under no_grad with and without
    autocast (infer_op_us, the casts at internal_op_us), and a training
    forward + backward (framework_op_us + autograd_op_us + backward ops):
    docs/gpu.md 7.5."""
    chain = nn.Sequential(*[nn.Linear(16, 16) for _ in range(200)]).cuda()
    x = torch.randn(1, 16, device="cuda")

    def infer(prec):
        with torch.no_grad(), autocast(prec):
            chain(x)

    def train():
        chain.zero_grad(set_to_none=True)
        chain(x).sum().backward()

    for prec in ("fp32", "bf16"):
        log(out, "micro.jsonl", {"kind": "host_op", "mode": "no_grad", "precision": prec,
                                 "us_per_op": host_us_per_op(lambda: infer(prec), 200)})
    log(out, "micro.jsonl", {"kind": "host_op", "mode": "train", "precision": "fp32",
                             "us_per_op": host_us_per_op(train, 200)})


def micro_sdpa_host(out):
    """Host time per scaled_dot_product_attention call by backend: a chain
    of 100 calls on one tiny bf16 head (batch 1, 128 x 64) is host-bound;
    wall time per call under no_grad and for forward + backward, with
    cuDNN's SDPA and with flash attention forced (torch.nn.attention).
    cuDNN minus flash is cudnn_sdpa_us (docs/gpu.md 7.11); a backend this
    PyTorch or GPU cannot run is logged with us_per_call null."""
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel
    except ImportError:
        return
    qkv = torch.randn(3, 1, 1, 128, 64, device="cuda", dtype=torch.bfloat16)
    calls = 100

    def chain(q, k, v):
        for _ in range(calls):
            q = F.scaled_dot_product_attention(q, k, v)
        return q

    def infer():
        with torch.no_grad():
            chain(*qkv)

    def train():
        q, k, v = (t.clone().requires_grad_() for t in qkv)
        chain(q, k, v).sum().backward()

    for name, backend in (("cudnn", SDPBackend.CUDNN_ATTENTION), ("flash", SDPBackend.FLASH_ATTENTION)):
        for mode, fn in (("no_grad", infer), ("train", train)):
            try:
                with sdpa_kernel(backend):
                    us = host_us_per_op(fn, calls, reps=20)
            except RuntimeError:
                us = None
            log(out, "micro.jsonl", {"kind": "sdpa_host", "backend": name, "mode": mode,
                                     "precision": "bf16", "us_per_call": us})

def log(out, fname, rec):
    with open(os.path.join(out, fname), "a") as f:
        f.write(json.dumps(rec) + "\n")
    print(json.dumps(rec), flush=True)


def env_info(energy):
    p = torch.cuda.get_device_properties(0)
    info = {"torch": torch.__version__, "device": torch.cuda.get_device_name(0), "sms": p.multi_processor_count,
            "cudnn": torch.backends.cudnn.version()}
    if energy.h is not None:
        nv = energy.nv
        try:
            info["power_limit_w"] = nv.nvmlDeviceGetPowerManagementLimit(energy.h) / 1000
            info["sm_clock_max_mhz"] = nv.nvmlDeviceGetMaxClockInfo(energy.h, nv.NVML_CLOCK_SM)
            info["mem_clock_max_mhz"] = nv.nvmlDeviceGetMaxClockInfo(energy.h, nv.NVML_CLOCK_MEM)
            e0 = energy.mj()
            time.sleep(1.0)
            info["idle_power_w"] = (energy.mj() - e0) / 1000.0
        except Exception as e:
            info["nvml_error"] = repr(e)
    return info


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="Needs" + __doc__.split("\nNeeds")[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("nets", nargs="*", default=["uno", "p1b1"],
                    help="zoo names (models/nets/NAME.yaml) or YAML files (default: uno p1b1)")
    ap.add_argument("--batch", default="", help="comma-separated batch sizes (default: each network's)")
    ap.add_argument("--precision", default="fp32,bf16", help="fp32, bf16, fp16 (comma-separated)")
    ap.add_argument("--optimizer", default="momentum", choices=["sgd", "momentum", "adam"])
    ap.add_argument("--out", default="gpu_measurements", help="output folder (files are appended to)")
    ap.add_argument("--graphs", action="store_true", help="also time the step captured in a CUDA graph")
    ap.add_argument("--micro", action="store_true",
                    help="also run the microbenchmarks: GEMMs, bandwidth, small fp32 GEMMs, unaligned "
                         "bf16 GEMMs by rows, GEMM power and clocks by operand values, batch norm, "
                         "depthwise convolution, host time per op and per attention call")
    ap.add_argument("--profile", action="store_true",
                    help="also profile each configuration (PyTorch's profiler, 5 steps): every kernel's "
                         "calls and device time per step into profile.jsonl, for `wafersim validate gpu "
                         "--profile`")
    ap.add_argument("--check", action="store_true",
                    help="build each network on the CPU, print its parameter count, measure nothing")
    a = ap.parse_args(argv)
    if yaml is None:
        sys.exit("measure_gpu: needs PyYAML (pip install pyyaml)")
    if torch is None:
        sys.exit("measure_gpu: needs PyTorch (pip install torch; a CUDA build to measure, "
                 "the CPU build is enough for --check)")
    batches = [int(x) for x in a.batch.split(",") if x]
    precs = [x for x in a.precision.split(",") if x]
    for p in precs:
        if p not in ("fp32", "bf16", "fp16"):
            ap.error(f"precision must be fp32, bf16 or fp16, got '{p}'")
    try:
        paths = [find_net(n) for n in a.nets]
        if a.check:
            for p in paths:  # build, one training step on the CPU, count
                y = YamlNet(p)
                model, inputs = build(y, 2, "cpu")
                opt = make_opt(a.optimizer, model.parameters())
                loss = model(*inputs)
                loss.backward()
                opt.step()
                print(f"{y.name}: {sum(t.numel() for t in model.parameters())} parameters, "
                      f"{len(y.layers)} layers, loss {float(loss):.4g}: ok")
            return 0
        if not torch.cuda.is_available():
            sys.exit("measure_gpu: no CUDA GPU visible to PyTorch (use --check to test the networks on the CPU)")
        os.makedirs(a.out, exist_ok=True)
        energy = Energy(0)
        log(a.out, "env.jsonl", env_info(energy))
        torch.backends.cudnn.benchmark = True
        for p in paths:
            measure_net(p, batches, precs, a.optimizer, energy, a.out, a.graphs, "cuda", a.profile)
        if a.micro:
            micro(a.out, energy)
            micro_small_gemm(a.out, energy)
            micro_gemm_layout(a.out, energy)
            micro_unaligned_rows(a.out, energy)
            micro_power(a.out, energy)
            micro_batchnorm(a.out, energy)
            micro_depthwise(a.out, energy)
            micro_host(a.out)
            micro_sdpa_host(a.out)
    except NetError as e:
        sys.exit(f"measure_gpu: {e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
