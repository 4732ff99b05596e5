#!/usr/bin/env python3
"""docfigs.py NAME: figures the docs quote that take more than one
wafersim command to compute (a table over several runs, a ratio of two
outputs, a what-if on a modified copy of a preset).  Each NAME prints what
a `<!-- docs:... $ python3 tools/docfigs.py NAME -->` block of
tools/docs.py quotes; every figure comes from `wafersim ... --json` or a
file under models/, never from this script.

    python3 tools/docfigs.py list      the names
    python3 tools/docfigs.py NAME [ARG...]
"""
import json
import os
import re
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# the build docs.py was told to use (build-asan/ under `make asan`)
BIN = os.path.join(os.environ.get("WAFERSIM_BUILD_DIR") or
                   os.path.join(TOP, "build"), "wafersim")


def ws(*args):
    """wafersim ARGS --json, parsed."""
    p = subprocess.run([BIN] + list(args) + ["--json"], cwd=TOP,
                       stdout=subprocess.PIPE, check=True, text=True)
    return json.loads(p.stdout)


def ws_text(*args):
    p = subprocess.run([BIN] + list(args), cwd=TOP, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if p.returncode:
        raise SystemExit("docfigs: 'wafersim %s' exited %d: %s" % (
            " ".join(args), p.returncode, p.stderr.strip()))
    return p.stdout


def gpu(net, *opts):
    return ws("gpu", net, *opts)


def gpu_copy(preset, key, value):
    """A copy of models/gpus/PRESET.yaml with KEY set to VALUE (a what-if);
    the caller removes it."""
    text = open(os.path.join(TOP, "models", "gpus", preset + ".yaml")).read()
    new, n = re.subn(r"(?m)^(\s*%s:\s*)[^\s#]+" % re.escape(key),
                     lambda m: m.group(1) + str(value), text)
    if n != 1:
        raise SystemExit("docfigs: '%s' not found once in %s.yaml"
                         % (key, preset))
    f = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
    f.write(new)
    f.close()
    return f.name


def ms(s):
    return "%.1f ms" % (s * 1e3)


def pct(x):
    return "%.1f%%" % (x * 100)


def dp(gpu_name, n, prec, batch):
    return gpu("resnet50", "--gpu", gpu_name, "--gpus", str(n),
               "--precision", prec, "--batch", str(batch))


def gpu_dp_table():
    """docs/gpu.md: ResNet-50 data parallel, batch 256 per GPU, eager."""
    print("| setup | step 1 GPU | exposed (tail + copies + contention"
          " + buffers) | model efficiency |")
    print("|---|---|---|---|")
    for label, g, n, prec, bold in (
            ("8 x H100, bf16 (NVLink)", "h100", 8, "mixed", True),
            ("8 x H100, fp32/TF32", "h100", 8, "fp32", True),
            ("16 x H100 (2 nodes), bf16", "h100", 16, "mixed", False),
            ("16 x H100 (2 nodes), fp32/TF32", "h100", 16, "fp32", False)):
        one = dp(g, 1, prec, 256)["train"]["seconds"]
        d = dp(g, n, prec, 256)["data_parallel"]
        parts = " + ".join("%.2f" % (d[k] * 1e3) for k in (
            "comm_tail_s", "ddp_copy_s", "contention_s", "ddp_buffer_s"))
        eff = pct(d["scaling_efficiency"])
        print("| %s | %s | %.2f ms (%s) | %s |" % (
            label, ms(one), d["exposed_comm_s"] * 1e3, parts,
            "**%s**" % eff if bold else eff))
    a = [pct(dp("a100", 8, p, 256)["data_parallel"]["scaling_efficiency"])
         for p in ("fp32", "mixed")]
    v = [pct(dp("v100", 8, p, b)["data_parallel"]["scaling_efficiency"])
         for p, b in (("fp32", 96), ("fp16", 192))]
    print("| 8 x A100, TF32 / bf16 | | | %s / %s |" % tuple(a))
    print("| 8 x V100, fp32 batch 96 / fp16 batch 192 | | | %s / %s |"
          % tuple(v))


def gpu_dp_copies():
    """The bucket copies of ResNet-50 on 8 H100s (bf16)."""
    print("%.2f ms" % (dp("h100", 8, "mixed", 256)["data_parallel"]
                       ["ddp_copy_s"] * 1e3), end="")


def gpu_dp_buffers():
    print("%.2f ms" % (dp("h100", 8, "mixed", 256)["data_parallel"]
                       ["ddp_buffer_s"] * 1e3), end="")


def gpu_dp_model_vs_public():
    """The model's 8-GPU H100 efficiencies against the best public
    figure (97.75%, MXNet DGX A100 TF32)."""
    e = [dp("h100", 8, p, 256)["data_parallel"]["scaling_efficiency"] * 100
         for p in ("mixed", "fp32")]
    print("%.1f%% (8 H100, bf16) and %.1f%% (fp32) lie %.1f to %.1f points"
          % (e[0], e[1], e[0] - 97.75, e[1] - 97.75), end="")


def gpu_dp_a100():
    a = [dp("a100", 8, p, 256)["data_parallel"]["scaling_efficiency"]
         for p in ("fp32", "mixed")]
    print("A100: %s vs 97.75%% and 96.5%% TF32; %s vs 97.0%% mixed"
          % (pct(a[0]), pct(a[1])), end="")


def gpu_dp_kernel_us():
    """What-if: the bucket copies with 2.5 us per small kernel."""
    path = gpu_copy("h100", "kernel_us", 2.5)
    try:
        d = dp(path, 8, "mixed", 256)["data_parallel"]
    finally:
        os.remove(path)
    print("~%.2f ms" % (d["ddp_copy_s"] * 1e3), end="")


def gpu_a100_single():
    """ResNet-50 at batch 256 on one A100 against NVIDIA's 938 img/s."""
    r = [256 / gpu("resnet50", "--gpu", "a100", "--batch", "256",
                   "--precision", p)["train"]["seconds"]
         for p in ("fp32", "mixed")]
    print("%.0f img/s for ResNet-50 TF32 at batch 256 (NVIDIA: 938, %+.0f%%)"
          " and %.0f img/s bf16" % (r[0], (r[0] / 938 - 1) * 100, r[1]),
          end="")


def measured_peak_gb(net, batch, prec):
    path = os.path.join(TOP, "models", "measured", "h100", "train.jsonl")
    for line in open(path):
        row = json.loads(line)
        if (row.get("model"), row.get("batch"),
                row.get("precision")) == (net, batch, prec):
            return row["peak_mem_mib"] * 2**20 / 1e9
    raise SystemExit("docfigs: no measured row %s %d %s" % (net, batch, prec))


def gb(x):
    return ("%.2f" if x < 1 else "%.1f") % x


def gpu_memory():
    """Model vs PyTorch's peak memory (fp32) on the measured rows."""
    rows = (("uno", 2048), ("p1b1", 1000), ("resnet50", 128),
            ("bert_base", 64))
    model = [gpu(n, "--batch", str(b), "--precision", "fp32")
             ["full_memory_bytes"] / 1e9 for n, b in rows]
    meas = [measured_peak_gb(n, b, "fp32") for n, b in rows]
    print("%s GB where PyTorch's peak was %s GB" % (
        " / ".join(gb(x) for x in model), " / ".join(gb(x) for x in meas)),
        end="")


def gpu_gpt2_fit():
    d = gpu("gpt2_small", "--batch", "160")
    print("needs %.1f GB of 80 GB and runs as %d micro-batches of %d "
          "(%.1f GB)" % (d["full_memory_bytes"] / 1e9, d["micro_batches"],
                         d["micro_batch"], d["train_memory_bytes"] / 1e9),
          end="")


def gpu_shard_example():
    """gptj_6b on one H100 at batch 1 (docs/gpu.md 6.1): what runs, its
    memory per GPU in bytes per parameter, its collectives."""
    d = gpu("gptj_6b", "--batch", "1")
    P = d["params"]
    dp = d["data_parallel"]
    rows = (
        ("parameters P", "{:,}".format(P)),
        ("GPUs (asked)", "%d (%d)" % (d["gpus"], d["asked_gpus"])),
        ("sharding, fit", "%s, %s" % (d["sharding"], d["fit"])),
        ("state per GPU", "%.2f GB = %.2f bytes x P" % (
            d["state_bytes"] / 1e9, d["state_bytes"] / P)),
        ("gradient bytes 4P", "%.2f GB" % (4 * P / 1e9)),
        ("training memory / GPU", "%.2f GB" % (
            d["train_memory_bytes"] / 1e9)),
        ("collectives alone", ms(dp["shard_comm_s"])),
        ("exposed", "%s (%s not overlapped + %s compute lost)" % (
            ms(dp["exposed_comm_s"]), ms(dp["comm_tail_s"]),
            ms(dp["contention_s"]))),
        ("training step", ms(d["train"]["seconds"])),
    )
    for k, v in rows:
        print("%-24s %s" % (k, v))


def gpu_latency_sweep():
    """validate gpu with mem_latency_ns 300..1000 in a copy of h100.yaml:
    train.jsonl's worst ratio and inference median, graphs.jsonl's
    train-time and energy medians (their ranges over the five)."""
    lat = (300, 400, 600, 800, 1000)
    worst, imed, tmed, emed = [], [], [], []
    med = r"%s\s+median \|error\|\s+([0-9.]+)%%"
    for ns in lat:
        path = gpu_copy("h100", "mem_latency_ns", ns)
        try:
            out = ws_text("validate", "gpu", "--gpu", path)
        finally:
            os.remove(path)
        parts = out.split("measurements:")
        worst.append(float(re.search(r"either way\): ([0-9.]+)x",
                                     parts[1]).group(1)))
        imed.append(float(re.search(med % "infer time", parts[1]).group(1)))
        tmed.append(float(re.search(med % "train time", parts[2]).group(1)))
        emed.append(float(re.search(med % "train energy",
                                    parts[2]).group(1)))
    worst_s = ("stays %.2fx" % worst[0] if min(worst) == max(worst) else
               "is %.2f-%.2fx" % (min(worst), max(worst)))
    at = " and ".join(str(n) for n, v in zip(lat, imed) if v == max(imed))
    print("the train.jsonl worst ratio %s, its inference median "
          "%.1f-%.1f%% (%.1f%% at %s ns); graphs.jsonl train median "
          "%.1f-%.1f%%, energy %.1f-%.1f%%" % (
              worst_s, min(imed), max(imed), max(imed), at, min(tmed),
              max(tmed), min(emed), max(emed)), end="")


GPU_COLS = {"train": 0, "infer": 1, "energy": 2}


def gpu_cell(*args):
    """gpu-cell [--before] FILE NET BATCH PREC STYLE COL FIELD: one cell of
    `wafersim validate gpu` (with --before: of the table printed before
    issue 13, tests/golden/gpu_validate_7e92768.txt).  FILE train.jsonl or
    graphs.jsonl; COL train, infer or energy; FIELD err ("-32%"), model or
    meas ("12.9 ms", "7.51 J"), ratio (the larger over the smaller,
    "1.47x")."""
    args = list(args)
    before = args[:1] == ["--before"]
    if before:
        args.pop(0)
        text = open(os.path.join(TOP, "tests", "golden",
                                 "gpu_validate_7e92768.txt")).read()
    else:
        text = ws_text("validate", "gpu")
    f, net, batch, prec, style, col, field = args
    section, want = None, [net, batch, prec, style]
    for line in text.splitlines():
        if line.startswith("measurements:"):
            section = os.path.basename(line.split()[1])
            continue
        parts = line.split("|")
        if section != f or len(parts) != 4 or parts[0].split()[:4] != want:
            continue
        model, meas, err = parts[1 + GPU_COLS[col]].split()
        unit = " J" if col == "energy" else " ms"
        if field == "err":
            print(err, end="")
        elif field == "ratio":
            a, b = float(model), float(meas)
            print("%.2fx" % (max(a, b) / min(a, b)), end="")
        else:
            v = float(model if field == "model" else meas)
            print("%.3g%s" % (v, unit), end="")
        return
    raise SystemExit("docfigs: no cell %s %s in validate gpu" % (f, want))


def gpu_measured(net, batch, prec, what, field):
    """gpu-measured NET BATCH PREC train|infer FIELD: a measured H100 row
    of models/measured/h100/train.jsonl (median_ms, min_ms, max_ms as
    "12.9 ms"; avg_power_w as "383 W")."""
    path = os.path.join(TOP, "models", "measured", "h100", "train.jsonl")
    for line in open(path):
        row = json.loads(line)
        if (row.get("model"), str(row.get("batch")),
                row.get("precision")) == (net, batch, prec):
            v = row[what][field]
            print(("%.0f W" % v) if field.endswith("_w") else
                  ("%.3g ms" % v), end="")
            return
    raise SystemExit("docfigs: no measured row %s %s %s" % (net, batch, prec))


def gpu_pass_power(net, batch, prec):
    """gpu-pass-power NET BATCH PREC: average power of the forward and of
    the rest of the training step (backward and update), measured and
    modelled: "714 W / 467 W (model 674 W / 646 W)".  Measured: the
    inference row's energy over its wall time per iteration (NVML counter
    over the timed loop), and the training row's energy less the
    inference row's over the difference of their wall times; the model:
    the same from `wafersim gpu --json` (train and infer seconds and
    energy_j)."""
    path = os.path.join(TOP, "models", "measured", "h100", "train.jsonl")
    for line in open(path):
        row = json.loads(line)
        if (row.get("model"), str(row.get("batch")),
                row.get("precision")) != (net, batch, prec):
            continue
        t, i = row["train"], row["infer"]
        wt, wi = t["wall_s"] / t["iters"], i["wall_s"] / i["iters"]
        et, ei = t["energy_j_per_iter"], i["energy_j_per_iter"]
        r = gpu(net, "--batch", batch, "--precision",
                "mixed" if prec == "bf16" else prec)
        mt, mi = r["train"], r["infer"]
        print("%.0f W / %.0f W (model %.0f W / %.0f W)" % (
            ei / wi, (et - ei) / (wt - wi), mi["energy_j"] / mi["seconds"],
            (mt["energy_j"] - mi["energy_j"]) /
            (mt["seconds"] - mi["seconds"])), end="")
        return
    raise SystemExit("docfigs: no measured row %s %s %s" % (net, batch, prec))


def gpu_pass_rate(net, batch):
    """gpu-pass-rate NET BATCH: measured FLOP rate of the forward and of
    the rest of the fp32 training step, from the FLOP counts PyTorch gave
    (flops_forward, flops_train_step) and the median times:
    "43.8 / 35.6 TFLOP/s"."""
    path = os.path.join(TOP, "models", "measured", "h100", "train.jsonl")
    for line in open(path):
        row = json.loads(line)
        if (row.get("model"), str(row.get("batch")),
                row.get("precision")) != (net, batch, "fp32"):
            continue
        ff, ft = row["flops_forward"], row["flops_train_step"]
        ti, tt = row["infer"]["median_ms"], row["train"]["median_ms"]
        print("%.1f / %.1f TFLOP/s" % (ff / ti / 1e9, (ft - ff) / (tt - ti)
                                       / 1e9), end="")
        return
    raise SystemExit("docfigs: no measured fp32 row %s %s" % (net, batch))


def gpu_host_device(net, batch, prec):
    """The model's inference host time, device time and their sum, and the
    measured time: "8.8 + 4.7 = 13.5 ms (measured 12.9 ms)"."""
    i = gpu(net, "--batch", batch, "--precision", prec)["infer"]
    print("%.1f + %.1f = %.1f ms" % (i["host_s"] * 1e3,
                                     i["device_busy_s"] * 1e3,
                                     (i["host_s"] + i["device_busy_s"]) *
                                     1e3), end="")


def gpu_device_ms(net, batch, prec):
    """The model's inference device time ("5.0 ms")."""
    i = gpu(net, "--batch", batch, "--precision", prec)["infer"]
    print("%.1f ms" % (i["device_busy_s"] * 1e3), end="")


def plan_file(net, *opts):
    """The plan YAML `place NET --machine wse2 OPTS -o FILE` writes."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "p.yaml")
        subprocess.run([BIN, "place", net, "--machine", "wse2"] + list(opts)
                       + ["-o", path], cwd=TOP, stdout=subprocess.DEVNULL,
                       check=True)
        return open(path).read()


def place_sync(net):
    """Shared-weight sync routes of NET's replicas on wse2: how many, and
    the bytes each way per step."""
    plan = plan_file(net, "--sharing", "replicas", "--strategy", "pack")
    n, by = 0, {"grad_sync": 0, "weight_sync": 0}
    for m in re.finditer(r"kind: (grad_sync|weight_sync), bytes_per_step: "
                         r"([0-9]+)", plan):
        n += 1
        by[m.group(1)] += int(m.group(2))
    return "%d routes" % n, "%.1f MB" % (by["grad_sync"] / 1e6), \
        "%.1f MB" % (by["weight_sync"] / 1e6)


def place_sync_routes(net):
    """place-sync-routes NET: how many sync routes NET's replicas get."""
    print(place_sync(net)[0], end="")


def place_sync_bytes(net):
    """place-sync-bytes NET: gradients and weights synced per step."""
    print("%s of gradients and %s of weights per step"
          % place_sync(net)[1:], end="")


def place_drugnet_c2():
    """drugnet's conv stage c2 with pack on wse2, and the estimated step."""
    out = ws_text("place", "drugnet", "--machine", "wse2", "--strategy",
                  "pack")
    c2 = re.search(r"(?m)^\d+\s+c2\s.*?(\d+)(\s+<-.*)?$", out).group(1)
    est = re.search(r"estimate: ([0-9.]+) us per step", out).group(1)
    print("%s cycles per sample, estimated step %.0f us"
          % (c2, float(est)), end="")


def place_p1b1_links():
    """p1b1 with pack: the route pace the objective charges, the estimated
    and the simulated step."""
    est = re.search(r"estimate: ([0-9.]+) us per step.*\nbottleneck: .*?"
                    r"\(([0-9]+) cycles per sample",
                    ws_text("place", "p1b1", "--machine", "wse2",
                            "--strategy", "pack"))
    sim = ws("run", "p1b1", "--machine", "wse2", "--strategy", "pack",
             "--job", "train")["train"]["step_s"] * 1e6
    print("%s cycles per sample, %.0f us estimated against %.0f simulated"
          % (est.group(2), float(est.group(1)), sim), end="")


def machine_field(name, key):
    """A scalar of `wafersim machine show NAME` ("clock_ghz",
    "fma_mixed", "width"): the first line with that key."""
    m = re.search(r"(?m)^\s*%s:\s*([0-9.]+)" % re.escape(key),
                  ws_text("machine", "show", name))
    return float(m.group(1))


def engine_bert_rate():
    """BERT-large at 1024 streamed on wse2: the dense layers' share of the
    mixed-precision peak, and the weight streams beside the step."""
    r = ws("run", "bert_large", "--machine", "wse2", "--batch", "1024",
           "--mode", "streaming", "--job", "train")["train"]
    c = ws("compile", "bert_large", "--batch", "1024")["totals"]
    pes = machine_field("wse2", "width") * machine_field("wse2", "height")
    clock = machine_field("wse2", "clock_ghz")
    peak = pes * machine_field("wse2", "fma_mixed") * 2 * clock * 1e9
    rate = c["train_mat_flops_per_sample"] * r["samples_per_s"]
    passes = -(-1024 // r["micro_batch"])
    step_in = r["stats"]["extmem_in_bytes"] / r["steps_simulated"]
    bw = machine_field("wse2", "bandwidth_gbytes_s") * 1e9  # extmem
    print("about %.0f%% of WSE-2's mixed-precision peak (%.2f PFLOP/s of "
          "%.2f), the weight streams are hidden (BERT-large: %d passes, "
          "%.1f GB of fp16 weights streamed in per step at %.0f GB/s, "
          "%.0f ms of a %.0f ms step)" % (
              100 * rate / peak, rate / 1e15, peak / 1e15, passes,
              step_in / 1e9, bw / 1e9, step_in / bw * 1e3,
              r["step_s"] * 1e3), end="")


def energy_full_load(*machines):
    """energy-full-load MACHINE...: each machine's full-load power
    (`run --json` full_load_power_w: every PE at its peak rate, sim/energy.h
    energy_full_load_w), "17.5 kW", joined by "and"."""
    kw = ["%.1f kW" % (ws("run", "uno", "--machine", m, "--job", "infer",
                          "--infer-samples", "1")["full_load_power_w"] / 1e3)
          for m in machines]
    print(" and ".join(kw), end="")


def engine_held(net, *opts):
    """engine-held NET [OPTION...]: on one pipelined plan (`place -o`,
    then `run --plan`, both with OPTIONs), the samples each stage held at
    once in a simulated training step (`run --json`, stats held_max)
    against the samples its SRAM was sized for (`place --json`,
    samples_in_flight)."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "p.yaml")
        p = ws("place", net, *opts, "-o", path)
        # the plan holds the placement: run refuses the options that place
        placing = ("--strategy", "--sharing", "--kernel", "--groups")
        keep = [o for i, o in enumerate(opts) if o not in placing and
                (i == 0 or opts[i - 1] not in placing)]
        r = ws("run", net, *keep, "--plan", path, "--job", "train",
               "--steps", "1")
    sized = {s["name"]: s["samples_in_flight"] for s in p["stage_list"]}
    held = [(s["held_max"], sized[s["name"]], s["name"])
            for s in r["train"]["stats"]["stages"]]
    over = sum(1 for h, z, _ in held if h > z)
    h, z, name = max(held, key=lambda x: (x[0] / x[1], x[0]))
    print("%d of %d stages held more samples than they were sized for "
          "(the most for its size: '%s', sized for %d, held %d of the "
          "batch's %d)" % (over, len(held), name, z, h, p["batch"]), end="")


def place_stream_objective(*nets):
    """place-stream-objective NET...: the largest |objective / simulated
    step - 1| of the streaming plans of NETs on wse2 (`place --mode
    streaming`, then `run --plan`), as "0.0%"."""
    worst = 0.0
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "p.yaml")
        for n in nets:
            p = ws("place", n, "--machine", "wse2", "--mode", "streaming",
                   "-o", path)
            r = ws("run", n, "--machine", "wse2", "--plan", path)
            clock = float(machine_field("wse2", "clock_ghz"))
            est = p["est_step_cycles"] / (clock * 1e9)
            worst = max(worst, abs(est / r["train"]["step_s"] - 1))
    print("%.1f%%" % (worst * 100), end="")


FIGS = {
    "gpu-dp-table": gpu_dp_table,
    "gpu-dp-copies": gpu_dp_copies,
    "gpu-dp-buffers": gpu_dp_buffers,
    "gpu-dp-model-vs-public": gpu_dp_model_vs_public,
    "gpu-dp-a100": gpu_dp_a100,
    "gpu-dp-kernel-us": gpu_dp_kernel_us,
    "gpu-a100-single": gpu_a100_single,
    "gpu-memory": gpu_memory,
    "gpu-gpt2-fit": gpu_gpt2_fit,
    "gpu-shard-example": gpu_shard_example,
    "gpu-latency-sweep": gpu_latency_sweep,
    "gpu-cell": gpu_cell,
    "gpu-measured": gpu_measured,
    "gpu-host-device": gpu_host_device,
    "gpu-pass-power": gpu_pass_power,
    "gpu-pass-rate": gpu_pass_rate,
    "gpu-device-ms": gpu_device_ms,
    "place-sync-routes": place_sync_routes,
    "place-sync-bytes": place_sync_bytes,
    "place-drugnet-c2": place_drugnet_c2,
    "place-p1b1-links": place_p1b1_links,
    "place-stream-objective": place_stream_objective,
    "engine-bert-rate": engine_bert_rate,
    "engine-held": engine_held,
    "energy-full-load": energy_full_load,
}


def main(argv):
    if len(argv) < 2 or (argv[1] not in FIGS and argv[1] != "list"):
        print(__doc__, file=sys.stderr)
        return 2
    if argv[1] == "list":
        print("\n".join(sorted(FIGS)))
        return 0
    FIGS[argv[1]](*argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
