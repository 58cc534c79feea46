// Anomaly mode: the first op that makes a NaN or an infinity raises Error naming it and its node.
#include <cmath>

#include <doctest/doctest.h>

#include <tapegrad/tapegrad.hpp>

using tapegrad::DetectAnomaly;
using tapegrad::Error;
using tapegrad::Tape;
using tapegrad::Value;

TEST_CASE("anomaly mode is off by default: NaN and inf flow through silently") {
    Tape::current().clear();
    CHECK_FALSE(tapegrad::anomaly_detection_enabled());
    Value x = -1.0;
    Value y = x.log();
    CHECK(std::isnan(y.data()));
    Value z = Value(0.0).sqrt();
    CHECK_NOTHROW(z.backward());
}

TEST_CASE("forward: log(-1) makes a NaN") {
    Tape::current().clear();
    DetectAnomaly guard;
    Value x = -1.0;      // node 0
    Value ok = x * 2.0;  // node 1
    CHECK(ok.data() == -2.0);
    CHECK_THROWS_WITH_AS(x.log(), doctest::Contains("anomaly: forward of 'log' (node 2 on the tape) produced"), Error);
    CHECK_THROWS_WITH_AS(x.log(), doctest::Contains("nan"), Error);
}

TEST_CASE("forward: exp(1000) overflows to inf") {
    Tape::current().clear();
    DetectAnomaly guard;
    Value x = 1000.0;
    CHECK_THROWS_WITH_AS(x.exp(), doctest::Contains("forward of 'exp' (node 1 on the tape) produced inf"), Error);
    SUBCASE("fused n-ary ops are checked too") {
        Value big = 1e300;
        CHECK_THROWS_WITH_AS(tapegrad::dot(std::vector<Value>{big}, std::vector<Value>{big}),
                             doctest::Contains("forward of 'dot'"), Error);
    }
}

TEST_CASE("backward: sqrt at 0 has an infinite partial") {
    Tape::current().clear();
    Value x = 0.0;            // node 0
    Value y = x.sqrt();       // node 1: value 0, d/dx = inf
    Value z = y * 3.0 + 1.0;  // nodes 2, 3: finite
    {
        DetectAnomaly guard;
        CHECK_THROWS_WITH_AS(z.backward(),
                             doctest::Contains("anomaly: backward of 'sqrt' (node 1 on the tape) produced inf"), Error);
    }
    SUBCASE("the guard restores the previous setting") {
        CHECK_FALSE(tapegrad::anomaly_detection_enabled());
        {
            DetectAnomaly on;
            DetectAnomaly off(false);
            CHECK_FALSE(tapegrad::anomaly_detection_enabled());
        }
        CHECK_FALSE(tapegrad::anomaly_detection_enabled());
        tapegrad::detect_anomaly(true);
        CHECK(tapegrad::anomaly_detection_enabled());
        tapegrad::detect_anomaly(false);
    }
}

TEST_CASE("tensor ops in anomaly mode: the first non-finite forward result or backward gradient") {
    using tapegrad::DType;
    using tapegrad::Tensor;
    tapegrad::Tape::current().clear();
    Tensor x = Tensor::from({1.0, -1.0, 4.0}, {3}, DType::f64, true);
    SUBCASE("off: NaN passes silently, as in PyTorch") { CHECK_NOTHROW(x.log()); }
    SUBCASE("forward: log of a negative element names 'log' and its entry") {
        DetectAnomaly guard;
        Tensor y = x * 2.0;  // entry 0
        CHECK_THROWS_WITH_AS(
            y.log(), doctest::Contains("anomaly: forward of 'log' (tensor op 1 on the tape) produced nan"), Error);
    }
    SUBCASE("backward: sqrt at 0 has an infinite derivative, raised by sqrt's own backward") {
        Tensor z = Tensor::from({0.0, 1.0}, {2}, DType::f64, true);
        Tensor s = z.sqrt();            // entry 0: finite forward, [0, 1]
        Tensor loss = (s * 3.0).sum();  // entries 1 and 2
        DetectAnomaly guard;
        CHECK_THROWS_WITH_AS(loss.backward(),
                             doctest::Contains("anomaly: backward of 'sqrt' (tensor op 0 on the tape) produced inf"),
                             Error);
    }
    tapegrad::Tape::current().clear();
}

TEST_CASE("the check tensor kernels call is a no-op when off") {
    const float bad[] = {1.0f, NAN};
    CHECK_NOTHROW(tapegrad::detail::check_anomaly<float>("forward", "matmul", 7, bad));
    DetectAnomaly guard;
    CHECK_THROWS_WITH_AS(tapegrad::detail::check_anomaly<float>("forward", "matmul", 7, bad),
                         doctest::Contains("forward of 'matmul' (node 7 on the tape)"), Error);
}
