// The tapegrad command: one subcommand per file, dispatched here.
// Exit status: 0 on success, 2 on bad usage, 1 on a failure; errors are one line on stderr.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <tapegrad/tapegrad.hpp>

#include "commands.hpp"

namespace {
constexpr const char* kUsage =
    "usage: tapegrad <command> [options]\n"
    "\n"
    "commands:\n"
    "  article   the backpropagation article's worked example, figure by figure\n"
    "  train     train a classifier or a regression on a generated dataset or a CSV table\n"
    "  predict   apply a model saved by train to the rows of a CSV table\n"
    "  graph     the recorded graph of a small model's forward pass, as DOT (and SVG)\n"
    "\n"
    "tapegrad <command> --help describes a command's options.\n";
}

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        std::fputs(kUsage, args.empty() ? stderr : stdout);
        return args.empty() ? 2 : 0;
    }
    if (args[0] == "--version") {
        std::printf("tapegrad %s\n", TAPEGRAD_VERSION);
        const tapegrad::BlasInfo blas = tapegrad::blas_info();
        std::printf("cpu: %s, %s\n", blas.cpu.c_str(), blas.cpu_isa.c_str());
        std::printf("gemm: %s kernels, %s (%s)\n", blas.kernel.c_str(), blas.choice.c_str(), blas.backend.c_str());
        std::printf("gemm float32: %s (%s); float64: %s\n", blas.f32_gemm.c_str(), blas.f32_choice.c_str(),
                    blas.f64_gemm.c_str());
        std::printf("flush-denormal in backward: %s\n", tapegrad::flush_denormal() ? "on" : "off");
        return 0;
    }
    const std::string command = args[0];
    args.erase(args.begin());
    try {
        if (command == "article") return tapegrad::cli::article(args);
        if (command == "train") return tapegrad::cli::train(args);
        if (command == "graph") return tapegrad::cli::graph(args);
        if (command == "predict") return tapegrad::cli::predict(args);
        std::fprintf(stderr, "tapegrad: unknown command '%s'\n%s", command.c_str(), kUsage);
        return 2;
    } catch (const tapegrad::cli::UsageError& e) {
        std::fprintf(stderr, "tapegrad %s: %s (see tapegrad %s --help)\n", command.c_str(), e.what(), command.c_str());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tapegrad %s: %s\n", command.c_str(), e.what());
        return 1;
    }
}
