#!/usr/bin/env python3
"""Before and after: two tapegrad_bench binaries run in alternation, and each headline figure's
median for both with the ratio after/before (these machines are shared and noisy, so a change is
judged on figures taken in turn, never on two runs far apart).

    bench/ab.py BEFORE_BINARY AFTER_BINARY [--rounds N] [--filter REGEX]

e.g. a build of the commit before a change and one of the change itself:
    bench/ab.py ../before/build-bench/bench/tapegrad_bench build-bench/bench/tapegrad_bench --rounds 7
"""
import argparse
import json
import statistics
import subprocess

# (benchmark name prefix, counter, what it is); lower is better for every one.
FIGURES = [
    ("S1_chain", "total_ns_op", "S1 total ns/op"),
    ("S1_chain", "ratio", "S1 AD / primal"),
    ("S1_chain", "backward_ns_op", "S1 backward ns/op"),
    ("S2_mlp_step/", "step_us", "S2 us/step"),
    ("S2_mlp_step/", "ratio", "S2 AD / primal"),
    ("S2_mlp_step_nn_api", "ratio", "S2 nn::MLP AD / primal"),
    ("T1_small_ops", "ns_op", "T1 ns/op"),
    ("T2_mlp_step/threads:1", "step_ms", "T2 ms/step, 1 thread"),
    ("T2_mlp_step/threads:2", "step_ms", "T2 ms/step, 2 threads"),
    # grad() and create_graph (--filter "H1|TH")
    ("H1_hvp", "grad_first_order_us", "H1 grad first order us"),
    ("H1_hvp", "grad_create_graph_us", "H1 grad create_graph us"),
    ("H1_hvp", "hvp_create_graph_us", "H1 H v through create_graph us"),
    ("TH_tensor_create_graph", "grad_us", "TH tensor grad us"),
    ("TH_tensor_create_graph", "grad_create_graph_us", "TH tensor grad create_graph us"),
    ("TH_tensor_create_graph", "hvp_us", "TH tensor H v us"),
]


def run(binary, pattern):
    out = subprocess.run([binary, f"--benchmark_filter={pattern}", "--benchmark_format=json"],
                         check=True, capture_output=True, text=True).stdout
    figures = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        for prefix, counter, label in FIGURES:
            if b["name"].startswith(prefix) and counter in b:
                figures[label] = b[counter]
    return figures


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("before")
    p.add_argument("after")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--filter", default="S1|S2|T1|T2_mlp")
    args = p.parse_args()
    rounds = {"before": [], "after": []}
    for _ in range(args.rounds):
        rounds["before"].append(run(args.before, args.filter))
        rounds["after"].append(run(args.after, args.filter))
    print(f"{args.rounds} rounds in alternation; medians over rounds")
    print("| figure | before | after | after / before | range of per-round ratios |")
    print("|---|---|---|---|---|")
    for _, _, label in FIGURES:
        pairs = [(b[label], a[label]) for b, a in zip(rounds["before"], rounds["after"]) if label in b and label in a]
        if not pairs:
            continue
        before = statistics.median(b for b, _ in pairs)
        after = statistics.median(a for _, a in pairs)
        ratios = [a / b for b, a in pairs]
        print(f"| {label} | {before:.4g} | {after:.4g} | {after / before:.3f} | "
              f"{min(ratios):.3f} - {max(ratios):.3f} |")


if __name__ == "__main__":
    main()
