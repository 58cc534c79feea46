#!/usr/bin/env bash
# tapegrad's one entry point: installs what is missing from Debian's packages, builds, runs.
#   ./tapegrad.sh demo        build, then run the article's worked example (tapegrad article)
#   ./tapegrad.sh test        check the formatting, build (g++, warnings as errors), then run
#                             every test: the unit tests
#                             and the data-parallel tests (under mpirun), the same on clang with
#                             warnings as errors, the installed package from a separate consumer
#                             project (find_package and pkg-config, core and distributed) and the
#                             tests built against it, the benchmarks once each, valgrind on
#                             training runs, the tests under ASan and UBSan, the thread tests
#                             under TSan, and the fuzzers for a bounded time
#   ./tapegrad.sh bench       build (with libtorch), then run the benchmarks side by side
#   ./tapegrad.sh lint        clang-tidy (.clang-tidy) over the library's sources
#   ./tapegrad.sh deps        only install the Debian packages
# Builds come from CMakePresets.json (release in build/, asan-ubsan in build-asan/, ...);
# TAPEGRAD_BUILD_DIR=DIR puts them in DIR, DIR-asan, DIR-tsan, DIR-clang, DIR-fuzz, DIR-bench.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
BUILD=${TAPEGRAD_BUILD_DIR:-$ROOT/build}
JOBS=$(nproc)

PACKAGES=(cmake make g++ clang clang-format pkg-config libboost-dev doctest-dev libspdlog-dev libfmt-dev
          libopenblas-dev libbenchmark-dev graphviz valgrind libclang-rt-14-dev
          openmpi-bin libopenmpi-dev   # Open MPI: tapegrad::distributed and its tests
          libdnnl2)                    # oneDNN, loaded at run time: float32 GEMMs on AVX-512 CPUs
BENCH_PACKAGES=(libtorch-dev python3 python3-torch)  # libtorch and PyTorch (DDP) only for the side-by-side benchmarks
TEST_PACKAGES=(python3-sklearn)        # its bundled tables, for the real-data tests
LINT_PACKAGES=(clang-tidy)

deps() {  # deps [extra packages...]
    local missing=()
    for p in "${PACKAGES[@]}" "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if ((${#missing[@]})); then
        echo "== installing ${missing[*]}"
        local sudo=""
        [[ $(id -u) -eq 0 ]] || sudo=sudo
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
    fi
}

configure() {  # configure PRESET DIR [cmake options...]: a preset of CMakePresets.json, into DIR
    local preset=$1 dir=$2
    shift 2
    cmake --preset "$preset" -B "$dir" "$@" >/dev/null
}

build() {  # build PRESET DIR [cmake options...]
    configure "$@"
    cmake --build "$2" -j "$JOBS"
}

check_package() {
    local prefix=$BUILD/install
    echo "== installing to $prefix and building a consumer against it"
    rm -rf "$prefix"
    cmake --install "$BUILD" --prefix "$prefix" >/dev/null
    cmake -S "$ROOT/examples/consumer" -B "$BUILD/consumer-cmake" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
    cmake --build "$BUILD/consumer-cmake" -j "$JOBS" >/dev/null
    "$BUILD/consumer-cmake/consumer"
    local flags
    flags=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs tapegrad)
    # shellcheck disable=SC2086
    g++ "$ROOT/examples/consumer/main.cpp" -o "$BUILD/consumer-pkgconfig" $flags
    "$BUILD/consumer-pkgconfig"
    # The data-parallel program, both ways, on 2 ranks (root and oversubscription allowed for CI).
    local mpirun=(mpirun --allow-run-as-root --oversubscribe --bind-to none -np 2)
    "${mpirun[@]}" "$BUILD/consumer-cmake/consumer_distributed"
    flags=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs tapegrad-distributed)
    # shellcheck disable=SC2086
    g++ "$ROOT/examples/consumer/distributed.cpp" -o "$BUILD/consumer-distributed-pkgconfig" $flags
    "${mpirun[@]}" "$BUILD/consumer-distributed-pkgconfig"
    echo "== package: find_package and pkg-config consumers passed (core and distributed)"
    # The tests as a project of their own, built against the installed package alone.
    echo "== the tests built against the installed package"
    cmake -S "$ROOT/tests" -B "$BUILD/tests-installed" -DCMAKE_PREFIX_PATH="$prefix" \
        -DCMAKE_BUILD_TYPE=Release -DTAPEGRAD_WERROR=ON >/dev/null
    cmake --build "$BUILD/tests-installed" -j "$JOBS" >/dev/null
    ctest --test-dir "$BUILD/tests-installed" --output-on-failure -j "$JOBS"
}

sanitizers() {
    echo "== tests under AddressSanitizer and UndefinedBehaviorSanitizer"
    build asan-ubsan "$BUILD-asan"
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --test-dir "$BUILD-asan" --output-on-failure -j "$JOBS"
}

memcheck() {
    echo "== valgrind memcheck of a training run"
    valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1 --quiet \
        "$BUILD/tools/tapegrad" train --data moons --samples 40 --epochs 3 >/dev/null
    valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1 --quiet \
        "$BUILD/tools/tapegrad" train --tensor --data spiral --samples 60 --epochs 3 >/dev/null
    echo "valgrind: no errors, 0 bytes definitely lost"
}

clang_build() {
    echo "== clang, warnings as errors: library, tools and tests"
    build clang-werror "$BUILD-clang"
    ctest --test-dir "$BUILD-clang" --output-on-failure -j "$JOBS"
}

format_check() {
    echo "== formatting (.clang-format)"
    git -C "$ROOT" ls-files '*.cpp' '*.hpp' | (cd "$ROOT" && xargs clang-format --dry-run --Werror)
    echo "clang-format: every file as formatted"
}

lint() {
    echo "== clang-tidy over the library's sources"
    configure release "$BUILD"  # for compile_commands.json and the generated version header
    run-clang-tidy -quiet -j "$JOBS" -p "$BUILD" "$ROOT/(engine|ops|nn|optim|data|checkpoint|distributed)/.*\\.cpp$"
    echo "clang-tidy: no findings"
}

threads() {
    echo "== thread tests under ThreadSanitizer"
    build tsan "$BUILD-tsan"
    TSAN_OPTIONS="halt_on_error=1 suppressions=$ROOT/tests/tsan.supp" \
        ctest --test-dir "$BUILD-tsan" -R "thread" --output-on-failure
}

case "${1:-}" in
    deps) deps ;;
    demo)
        deps
        build release "$BUILD" >/dev/null
        "$BUILD/tools/tapegrad" article --dot "$BUILD/article.dot"
        ;;
    test)
        deps "${TEST_PACKAGES[@]}"
        format_check
        build release "$BUILD" -DTAPEGRAD_WERROR=ON
        ctest --test-dir "$BUILD" --output-on-failure -j "$JOBS"
        echo "== the unit tests again with every GEMM on OpenBLAS (CPUs without AVX-512 or oneDNN)"
        TAPEGRAD_GEMM=openblas ctest --test-dir "$BUILD" --output-on-failure -j "$JOBS" -E "^distributed"
        clang_build
        check_package
        echo "== benchmarks, each once"
        "$ROOT/bench/run.sh" --quick "$BUILD"
        "$ROOT/bench/distributed.sh" --quick "$BUILD"
        memcheck
        sanitizers
        threads
        echo "== fuzzing the model-file and CSV readers"
        TAPEGRAD_FUZZ_BUILD_DIR="$BUILD-fuzz" "$ROOT/fuzz/run.sh" "${TAPEGRAD_FUZZ_SECONDS:-30}"
        ;;
    bench)
        deps "${BENCH_PACKAGES[@]}"
        build bench "$BUILD-bench"
        "$ROOT/bench/run.sh" "$BUILD-bench"
        "$ROOT/bench/distributed.sh" "$BUILD-bench"
        ;;
    lint)
        deps "${LINT_PACKAGES[@]}"
        lint
        ;;
    *)
        sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
        exit 2
        ;;
esac
