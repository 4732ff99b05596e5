#!/usr/bin/env python3
"""tools/measure_gpu.py's profile writer against `wafersim validate gpu
--profile` (test_gpu_profile.c runs it: python3 THIS WAFERSIM_BINARY).

PyTorch is not needed: a stand-in for the few parts of it the writer
calls (torch.profiler.profile and its key_averages(), torch.cuda.
synchronize) returns profiler entries made up here, so the per-step sums
the writer must produce are known, and the binary must read them back.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import types

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
STEPS = 5


class Entry:
    """A profiler entry (FunctionEventAvg): totals over all steps."""
    def __init__(self, key, count, device_type, dev_us=0.0, cpu_us=0.0):
        self.key, self.count, self.device_type = key, count, device_type
        self.self_device_time_total, self.self_cpu_time_total = dev_us, cpu_us


ENTRIES = [  # totals over STEPS steps
    Entry("ampere_sgemm_128x64_tn", 50, "DeviceType.CUDA", dev_us=1252.5),
    Entry("void at::native::vectorized_elementwise_kernel<4, at::native::"
          "(anonymous namespace)::launch_clamp_scalar>", 45, "DeviceType.CUDA", dev_us=150.0),
    Entry("nvjet_sss_64x8_64x16_2x1_v_bz_TNT", 10, "DeviceType.CUDA", dev_us=97.5),
    Entry("aten::addmm", 50, "DeviceType.CPU", cpu_us=900.0),
    Entry("cudaLaunchKernel", 105, "DeviceType.CPU", cpu_us=420.0),
]


def fake_torch():
    torch = types.ModuleType("torch")
    calls = []

    class Profile:
        def __init__(self, activities):
            self.activities = activities

        def __enter__(self):
            return self

        def __exit__(self, *a):
            return False

        def key_averages(self):
            return list(ENTRIES)

    prof = types.ModuleType("torch.profiler")
    prof.ProfilerActivity = types.SimpleNamespace(CPU="CPU", CUDA="CUDA")
    prof.profile = Profile
    torch.profiler = prof
    torch.cuda = types.SimpleNamespace(synchronize=lambda: calls.append("sync"))
    nn = types.ModuleType("torch.nn")
    nn.Module = object
    nn.functional = types.ModuleType("torch.nn.functional")
    torch.nn = nn
    sys.modules.update({"torch": torch, "torch.profiler": prof, "torch.nn": nn,
                        "torch.nn.functional": nn.functional})
    return calls


def main():
    binary = sys.argv[1]
    fake_torch()
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import measure_gpu as mg

    ran = {"step": 0, "infer": 0, "mode": []}
    model = types.SimpleNamespace(train=lambda: ran["mode"].append("train"),
                                  eval=lambda: ran["mode"].append("eval"))
    rec = {"model": "uno", "network_file": "uno.yaml", "batch": 32, "precision": "fp32"}
    rows = mg.profile_rows(rec, "momentum", model,
                           lambda: ran.__setitem__("step", ran["step"] + 1),
                           lambda: ran.__setitem__("infer", ran["infer"] + 1))
    assert ran["step"] == STEPS and ran["infer"] == STEPS, ran
    assert ran["mode"] == ["train", "eval", "train"], ran["mode"]
    assert [r["phase"] for r in rows] == ["train", "infer"]
    k = rows[1]["kernels"]
    # per step, largest device time first
    assert [x["name"][:6] for x in k] == ["ampere", "void a", "nvjet_"], k
    assert abs(k[0]["calls"] - 10) < 1e-12 and abs(k[0]["device_us"] - 250.5) < 1e-9, k[0]
    ops = {o["name"]: o for o in rows[1]["ops"]}
    assert abs(ops["aten::addmm"]["host_us"] - 180.0) < 1e-9, ops
    assert rows[1]["steps"] == STEPS and rows[1]["optimizer"] == "sgd-momentum"

    tmp = tempfile.mkdtemp(prefix="wafersim-profile-")
    try:
        shutil.copyfile(os.path.join(ROOT, "models", "nets", "uno.yaml"), os.path.join(tmp, "uno.yaml"))
        path = os.path.join(tmp, "profile.jsonl")
        with open(path, "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
        out = subprocess.run([binary, "validate", "gpu", "--profile", path],
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stdout + out.stderr
        lines = out.stdout.splitlines()
        assert "rows: 2 compared, 0 not compared" in lines, out.stdout
        infer = [l for l in lines if " infer " in l][0]
        gemm = infer.split("|")
        # GEMMs per step: 10 + 2 calls, 250.5 + 19.5 us
        kind, kern = gemm[1].split()[:2]
        dev_ms = gemm[2].split()[0]
        assert (kind, kern, dev_ms) == ("gemm", "12.0", "0.270"), infer
        # memory: 9 calls, 30 us
        mem = lines[lines.index(infer) + 3].split("|")
        assert mem[1].split()[:2] == ["memory", "9.0"] and mem[2].split()[0] == "0.030", lines
    finally:
        shutil.rmtree(tmp)
    print("profile writer: ok")


if __name__ == "__main__":
    main()
