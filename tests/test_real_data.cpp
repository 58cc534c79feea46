// tapegrad train on the real tables that ship with python3-sklearn, when it is installed: the
// held-out scores must clear fixed floors. Each run takes well under a second.
#if defined(TAPEGRAD_CLI_PATH) && defined(TAPEGRAD_SKLEARN_DATA)
#include <string>

#include <doctest/doctest.h>

#include "cli_run.hpp"

namespace {

// Trains with a 20% held-out split and returns the report's test scores.
std::string held_out(const std::string& args) {
    Scratch s;
    const Run r = run("train " + args + " --test-split 0.2 --seed 1 --report " + (s / "r.json"));
    INFO(r.out);
    REQUIRE(r.status == 0);
    return slurp(s / "r.json");
}

std::string sklearn(const std::string& file) { return std::string(TAPEGRAD_SKLEARN_DATA) + "/" + file; }

}  // namespace

TEST_CASE("real data: iris (first row holds counts and names, so skipped) on the scalar engine") {
    const std::string json = held_out("--csv " + sklearn("iris.csv") +
                                      " --skip-rows 1 --no-header --target 4 "
                                      "--optimizer adam --epochs 200");
    CHECK(json.find("\"classes\": [\"0\", \"1\", \"2\"]") != std::string::npos);
    CHECK(json_number(json, "test", "rows") == 30);
    CHECK(json_number(json, "test", "accuracy") >= 0.85);
}

TEST_CASE("real data: breast cancer, 30 features, on the tensor engine") {
    const std::string json = held_out("--csv " + sklearn("breast_cancer.csv") +
                                      " --skip-rows 1 --no-header --target 30 "
                                      "--tensor --optimizer adam --epochs 100 --batch 32");
    CHECK(json_number(json, "test", "rows") == 113);  // stratified: 42 of 212 malignant, 71 of 357 benign
    CHECK(json_number(json, "test", "accuracy") >= 0.93);
}

TEST_CASE("real data: Boston house prices, a regression on both engines") {
    for (const std::string engine : {"", "--tensor "}) {
        CAPTURE(engine);
        const std::string json =
            held_out("--csv " + sklearn("boston_house_prices.csv") + " --skip-rows 1 --target MEDV " + engine +
                     "--optimizer adam --epochs 200 --batch 32");
        CHECK(json.find("\"task\": \"regression\"") != std::string::npos);
        CHECK(json_number(json, "test", "r2") >= 0.6);
        CHECK(json_number(json, "test", "rmse") < 6.0);  // thousands of dollars; the prices' spread is 9.2
    }
}

#ifdef TAPEGRAD_DIGITS_CSV
TEST_CASE("real data: digits, 1797 8x8 images without a header, on the tensor engine") {
    const std::string json = held_out(std::string("--csv ") + TAPEGRAD_DIGITS_CSV +
                                      " --no-header --target 64 --tensor "
                                      "--optimizer adam --model 64,64,10 --epochs 60 --batch 64");
    CHECK(json_number(json, "test", "rows") == 359);
    CHECK(json_number(json, "test", "accuracy") >= 0.95);
}
#endif
#endif
