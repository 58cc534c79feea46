#!/usr/bin/env python3
"""Merges the runs bench/run.sh wrote into one table of medians and ratios.

Each figure is the median over rounds of a per-round median (Google Benchmark's median
aggregate). Ratios against a baseline are taken within one process (S1, S2, T3) or, for
libtorch, between the two binaries run in alternation. Writes table.md and table.json beside
the runs and prints the markdown.
"""
import glob
import json
import os
import statistics
import sys


def load(out, system):
    """{benchmark name: {counter: [value per round]}} from the median aggregates."""
    figures = {}
    for path in sorted(glob.glob(os.path.join(out, f"run-{system}-*.json"))):
        with open(path) as f:
            for b in json.load(f)["benchmarks"]:
                if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
                    continue
                name = b["run_name"].split("/iterations")[0].split("/manual_time")[0]
                for key, value in b.items():
                    if isinstance(value, (int, float)) and key not in (
                            "family_index", "per_family_instance_index", "repetitions", "repetition_index",
                            "threads", "iterations", "real_time", "cpu_time"):
                        figures.setdefault(name, {}).setdefault(key, []).append(value)
    return {n: {k: statistics.median(v) for k, v in c.items()} for n, c in figures.items()}


def load_hvp_torch(out):
    """H1 on PyTorch (bench/hvp_torch.py's JSON): {figure: median over rounds}."""
    runs = []
    for path in sorted(glob.glob(os.path.join(out, "hvp-torch-*.json"))):
        with open(path) as f:
            runs.append(json.load(f))
    return {k: statistics.median(r[k] for r in runs) for k in ("gradient_us", "hvp_us", "hv_norm")} if runs else {}


def context(out, system):
    """The machine description the binary wrote into its JSON (tapegrad_* keys), from the first run."""
    for path in sorted(glob.glob(os.path.join(out, f"run-{system}-*.json"))):
        with open(path) as f:
            ctx = json.load(f).get("context", {})
        return {k[len("tapegrad_"):]: v for k, v in ctx.items() if k.startswith("tapegrad_")}
    return {}


def main():
    out = sys.argv[1]
    tg, torch = load(out, "tapegrad"), load(out, "torch")
    machine = context(out, "tapegrad")
    torch_gemm = context(out, "torch").get("gemm")
    rows = []  # (workload, figure, tapegrad, baseline, ratio, target)

    def row(workload, figure, ours, base="", ratio="", target=""):
        rows.append({"workload": workload, "figure": figure, "tapegrad": ours, "baseline": base,
                     "ratio": ratio, "target": target})

    if "S1_chain" in tg:
        s = tg["S1_chain"]
        row("S1", "record ns/op", s["record_ns_op"], f'primal {s["primal_ns_op"]:.2f}', s["record_ratio"])
        row("S1", "backward ns/op", s["backward_ns_op"], "", "", "<= 0.6")
        if "backward_ieee_ns_op" in s:
            row("S1", "backward ns/op with flush-denormal off", s["backward_ieee_ns_op"],
                "same dy/dw" if s.get("ieee_same_dy_dw") == 1 else "dy/dw differs")
        row("S1", "total ns/op (AD / primal)", s["total_ns_op"], f'primal {s["primal_ns_op"]:.2f}', s["ratio"], "<= 1.05")
        row("S1", "hand-written reverse ns/op", s["hand_ns_op"], f'primal {s["primal_ns_op"]:.2f}', s["hand_ratio"])
        row("S1", "heap allocations while recording (warm)", s["allocs_warm"], "", "", "0")
        row("S1", "tape bytes per recorded op", s["tape_bytes_op"])
        row("S1", "dy/dw", s["dy_dw"], f'hand {s["hand_dy_dw"]:.6g}')
    if "S2_mlp_step" in tg:
        s = tg["S2_mlp_step"]
        row("S2", "us/step (AD / primal)", s["step_us"], f'primal {s["primal_us"]:.2f}', s["ratio"], "<= 10")
        row("S2", "heap allocations per warm step", s["allocs_warm"], "", "", "0")
        row("S2", "loss after 20 steps", f'{s["loss_after_20"]:.6g}')
    if "S2_mlp_step_nn_api" in tg:  # the same workload written with nn::MLP and optim::SGD
        s = tg["S2_mlp_step_nn_api"]
        row("S2", "us/step through nn::MLP (AD / primal)", s["step_us"], f'primal {s["primal_us"]:.2f}', s["ratio"], "<= 10")
        row("S2", "heap allocations per warm step, nn::MLP", s["allocs_warm"])
    if "T1_small_ops" in tg:
        t = tg["T1_small_ops"]
        base = torch.get("T1_small_ops", {}).get("ns_op")
        row("T1", "ns/op, 1 thread (vs libtorch)", t["ns_op"], base or "", t["ns_op"] / base if base else "", "<= 0.02")
    for threads in (1, 2):
        name = f"T2_mlp_step/threads:{threads}"
        if name in tg:
            t = tg[name]
            base = torch.get(name, {}).get("step_ms")
            row("T2", f"ms/step, {threads} thread(s) (vs libtorch)", t["step_ms"], base or "",
                t["step_ms"] / base if base else "", "<= 0.8" if threads == 1 else "<= 1.0")
            floor = tg.get(f"T2_floor/threads:{threads}", {}).get("floor_ms")
            if floor:
                row("T2", f"ms/step, {threads} thread(s) (vs its GEMM floor)", t["step_ms"], f"floor {floor:.3g}",
                    t["step_ms"] / floor, "<= 1.15" if threads == 1 else "")
            row("T2", f"heap allocations per warm step, {threads} thread(s)", t["allocs_step"],
                torch.get(name, {}).get("allocs_step", ""))
    if "H1_hvp" in tg:
        h = tg["H1_hvp"]
        pt = load_hvp_torch(out)
        row("H1", "hvp / gradient (us)", h["ratio"], f'gradient {h["gradient_us"]:.0f}, hvp {h["hvp_us"]:.0f}', "", "<= 3")
        if pt:
            row("H1", "hvp us (vs PyTorch double backward, float64, 1 thread)", h["hvp_us"], f'{pt["hvp_us"]:.0f}',
                h["hvp_us"] / pt["hvp_us"], "<= 0.6")
            row("H1", "gradient us (vs PyTorch)", h["gradient_us"], f'{pt["gradient_us"]:.0f}', h["gradient_us"] / pt["gradient_us"])
        row("H1", "norm of Hv", f'{h["hv_norm"]:.13g}', f'PyTorch {pt["hv_norm"]:.13g}' if pt else "")
        row("H1", "hvp through create_graph / gradient", h["create_graph_ratio"], f'{h["hvp_create_graph_us"]:.0f} us')
        row("H1", "recording under HigherOrder / plain", h["record_ratio"], f'plain {h["record_plain_us"]:.0f} us')
        row("H1", "grad() first order / backward", h["grad_ratio"], f'backward {h["backward_us"]:.0f} us')
        row("H1", "grad() with create_graph / backward", h["create_graph_sweep_ratio"], f'{h["grad_create_graph_us"]:.0f} us')
    shapes = ["512x512x512", "128x784x256", "128x256x128", "128x128x10"]
    for name, t in sorted(tg.items()):
        if name.startswith("T3_gemm"):
            parts = dict(p.split(":") for p in name.split("/")[1:])
            label = f'{name.split("/")[0].split("_")[-1]} {shapes[int(parts["shape"])]}, {parts["threads"]} thread(s)'
            best = "oneDNN" if t.get("onednn_gflops", 0) > t["blas_gflops"] else "OpenBLAS"
            row("T3", f"GFLOP/s {label} (vs the fastest library, {best})", t.get("gflops", ""),
                f'{t["best_gflops"]:.1f}', t.get("ratio_to_best", ""), ">= 0.9")

    def fmt(v):
        return f"{v:.3g}" if isinstance(v, float) else str(v)

    header = []
    if machine:
        header.append(f'CPU: {machine.get("cpu", "?")}; GEMM: {machine.get("gemm", "?")}; '
                      f'flush-denormal in backward: {machine.get("flush_denormal", "?")}')
        if torch_gemm:
            header.append(f"libtorch's GEMM: {torch_gemm}")
        header.append("")
    lines = header + ["| workload | figure | tapegrad | baseline | ratio | target |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append("| " + " | ".join(fmt(r[k]) for k in ("workload", "figure", "tapegrad", "baseline", "ratio", "target")) + " |")
    md = "\n".join(lines) + "\n"
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write(md)
    with open(os.path.join(out, "table.json"), "w") as f:
        json.dump({"machine": machine, "rows": rows, "tapegrad": tg, "torch": torch}, f, indent=1)
    print(md, end="")


if __name__ == "__main__":
    main()
