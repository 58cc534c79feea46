#!/usr/bin/env bash
# tapegrad's one entry point: installs what is missing from Debian's packages, builds, runs.
#   ./tapegrad.sh demo        build, then run the article's worked example (tapegrad article)
#   ./tapegrad.sh test        build, then run every test: the unit tests, the installed package
#                             from a separate consumer project (find_package and pkg-config),
#                             the benchmarks once each, the tests under ASan and UBSan, and
#                             the thread tests under TSan
#   ./tapegrad.sh bench       build, then run the benchmarks in full
#   ./tapegrad.sh deps        only install the Debian packages
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
BUILD=${TAPEGRAD_BUILD_DIR:-$ROOT/build}
JOBS=$(nproc)

PACKAGES=(cmake make g++ clang pkg-config libboost-dev doctest-dev libspdlog-dev libfmt-dev
          libopenblas-dev libbenchmark-dev graphviz valgrind libclang-rt-14-dev)

deps() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
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

build() {  # build DIR [cmake options...]
    local dir=$1
    shift
    cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
    cmake --build "$dir" -j "$JOBS"
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
    echo "== package: find_package and pkg-config consumers passed"
}

sanitizers() {
    echo "== tests under AddressSanitizer and UndefinedBehaviorSanitizer"
    build "$BUILD-asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTAPEGRAD_BUILD_BENCH=OFF \
        -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --test-dir "$BUILD-asan" --output-on-failure -j "$JOBS"
}

threads() {
    echo "== thread tests under ThreadSanitizer"
    build "$BUILD-tsan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTAPEGRAD_BUILD_BENCH=OFF \
        -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer"
    TSAN_OPTIONS=halt_on_error=1 ctest --test-dir "$BUILD-tsan" -R "thread" --output-on-failure
}

case "${1:-}" in
    deps) deps ;;
    demo)
        deps
        build "$BUILD" >/dev/null
        "$BUILD/tools/tapegrad" article --dot "$BUILD/article.dot"
        ;;
    test)
        deps
        build "$BUILD"
        ctest --test-dir "$BUILD" --output-on-failure -j "$JOBS"
        check_package
        if [[ -x "$ROOT/bench/run.sh" ]]; then "$ROOT/bench/run.sh" --quick "$BUILD"; fi
        sanitizers
        threads
        ;;
    bench)
        deps
        build "$BUILD"
        "$ROOT/bench/run.sh" "$BUILD"
        ;;
    *)
        sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
        exit 2
        ;;
esac
