#!/bin/sh
# D1 (WORKLOADS.md): T2 data-parallel on 1 and 2 ranks, tapegrad beside PyTorch DDP (gloo) when
# Debian's python3-torch is installed. The configurations run in alternation ROUNDS times
# (default 3; the machine is shared and noisy) and the round with the lowest step time is kept
# for each; prints each kept run's figures and the ratios.
#
#   bench/distributed.sh [--quick] [build-dir]     (build-dir defaults to build)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
quick=""
if [ "${1:-}" = "--quick" ]; then quick=--quick; shift; fi
build=${1:-build}
bin="$build/bench/tapegrad_bench_distributed"
[ -x "$bin" ] || { echo "distributed.sh: $bin not found; build with MPI found" >&2; exit 1; }
mpirun="mpirun --allow-run-as-root --oversubscribe --bind-to none"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 TAPEGRAD_NUM_THREADS=1
torch=0
/usr/bin/python3 -c "import torch" 2>/dev/null && torch=1
rounds=${ROUNDS:-3}
[ -n "$quick" ] && rounds=1

field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
# keep VAR LINE: VAR becomes LINE if LINE's step_ms is lower.
keep() {
    eval "old=\${$1:-}"
    if [ -z "$old" ] || awk "BEGIN { exit !($(field "$2" step_ms) < $(field "$old" step_ms)) }"; then
        eval "$1=\$2"
    fi
}
r=0
while [ "$r" -lt "$rounds" ]; do
    keep one "$($mpirun -np 1 "$bin" $quick)"
    keep two "$($mpirun -np 2 "$bin" $quick)"
    # The message path (MPI_Iallreduce), as between machines, on the same two ranks.
    keep twomsg "$($mpirun -np 2 -x TAPEGRAD_DIST_SHARED_MEMORY=0 "$bin" $quick)"
    # Two independent 1-rank runs at once: two processes' compute on the machine, no communication.
    "$bin" $quick > /dev/null &
    keep pair "$($mpirun -np 1 "$bin" $quick)"
    wait
    if [ "$torch" = 1 ]; then
        keep tone "$($mpirun -np 1 /usr/bin/python3 "$here/ddp_torch.py" $quick)"
        keep ttwo "$($mpirun -np 2 /usr/bin/python3 "$here/ddp_torch.py" $quick)"
    fi
    r=$((r + 1))
done
echo "tapegrad $one"
echo "tapegrad $two"
echo "tapegrad, messages (TAPEGRAD_DIST_SHARED_MEMORY=0): $twomsg"
echo "tapegrad, two independent 1-rank runs at once: $pair"
echo "tapegrad step(2 ranks) / step(1 rank) = $(ratio "$(field "$two" step_ms)" "$(field "$one" step_ms)")"
echo "tapegrad step(2 ranks) / step(two independent runs at once) = $(ratio "$(field "$two" step_ms)" "$(field "$pair" step_ms)")"
echo "tapegrad step(2 ranks, messages) / step(1 rank) = $(ratio "$(field "$twomsg" step_ms)" "$(field "$one" step_ms)")"
if [ "$torch" = 1 ]; then
    echo "torch-ddp $tone"
    echo "torch-ddp $ttwo"
    echo "torch step(2 ranks) / step(1 rank) = $(ratio "$(field "$ttwo" step_ms)" "$(field "$tone" step_ms)")"
    echo "tapegrad step / torch DDP step, 2 ranks = $(ratio "$(field "$two" step_ms)" "$(field "$ttwo" step_ms)")"
else
    echo "(python3-torch not installed: no DDP side by side)"
fi
