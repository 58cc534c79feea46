// to_dot's picture of a graph, and the library's named logger.
#include <cmath>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <utility>

#include <doctest/doctest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <tapegrad/tapegrad.hpp>

using tapegrad::Tape;
using tapegrad::Value;

namespace {
std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}
}  // namespace

TEST_CASE("to_dot draws each node once, with op, data and grad, and an arrow per operand") {
    Tape::current().clear();
    Value a = 2.0, b = -3.0;
    Value c = a * b;
    Value d = c + c.tanh() + a;  // a and c are used twice
    d.backward();
    const std::string dot = tapegrad::to_dot(d);
    // The second + takes the temporary c + tanh(c) and fuses into its node (Note [fusing
    // temporaries] in value.hpp): one node "+, +" with three operands c, tanh(c), a.
    CHECK(count(dot, "[shape=record") == 5);  // a, b, c, tanh, "+, +"
    CHECK(count(dot, " -> ") == 6);           // 2 into c, 1 into tanh, 3 into "+, +"
    CHECK(
        dot.find("n0 [shape=record, style=filled, fillcolor=white, label=\"{ +, + | data -5.0000 | grad 1.0000 }\"]") !=
        std::string::npos);
    CHECK(dot.find("{ * | data -6.0000 | grad ") != std::string::npos);
    CHECK(dot.find("{ leaf | data 2.0000 | grad ") != std::string::npos);
    CHECK(dot.find("{ tanh |") != std::string::npos);
    CHECK(count(dot, " -> n0;") == 3);
    CHECK(count(dot, "{ leaf |") == 2);
}

TEST_CASE("the library logs through its own named logger, never the default one") {
    auto& log = tapegrad::logger();
    CHECK(log.name() == "tapegrad");
    CHECK(&log != spdlog::default_logger_raw());
    if (std::getenv("TAPEGRAD_LOG") == nullptr) CHECK(log.level() == spdlog::level::off);

    std::ostringstream captured_default;
    auto default_before = spdlog::default_logger();
    auto capture =
        std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(captured_default));
    capture->set_level(spdlog::level::trace);
    spdlog::set_default_logger(capture);
    const auto level_before = log.level();
    log.set_level(spdlog::level::trace);
    Tape::current().clear();  // logs a trace line on "tapegrad"
    log.set_level(level_before);
    spdlog::set_default_logger(default_before);
    CHECK(captured_default.str().empty());
}

TEST_CASE("to_dot names a long fused chain by its first ops, its last and how many") {
    Tape::current().clear();
    Value a = 0.5, b = 0.25;
    Value y = a * b + 1.0;  // a product node, "+ 1" folded in
    for (int i = 0; i < 3; ++i) y = std::move(y) * 2.0;
    CHECK(tapegrad::to_dot(y).find("{ *, +, ..., * (5 ops) |") != std::string::npos);
    for (int i = 0; i < 40; ++i) y = std::move(y) * 2.0;  // the count saturates at 31 fused ops
    CHECK(tapegrad::to_dot(y).find("{ *, +, ..., * (32 or more ops) |") != std::string::npos);
    y.backward();
    CHECK(a.grad() == std::ldexp(0.25, 43));  // d y / d a = b * 2^43, exact in binary
}
