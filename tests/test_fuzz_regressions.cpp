// Replays the inputs kept in tests/data/fuzz/ (seeds and every crash the fuzzers ever found) through
// the model-file and CSV readers: each must parse or raise tapegrad::Error, nothing else.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include <doctest/doctest.h>

#include <tapegrad/checkpoint.hpp>
#include <tapegrad/data.hpp>
#include <tapegrad/error.hpp>

namespace fs = std::filesystem;

namespace {
std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// Runs f on every file of tests/data/fuzz/<target>; counts how many parsed.
template <class F> std::size_t replay(const char* target, F f) {
    std::size_t files = 0, parsed = 0;
    for (const auto& entry : fs::directory_iterator(fs::path(TAPEGRAD_TEST_DATA) / "fuzz" / target)) {
        CAPTURE(entry.path().string());
        ++files;
        try {
            f(read_all(entry.path()));
            ++parsed;
        } catch (const tapegrad::Error&) {
        }
    }
    CHECK(files > 0);
    return parsed;
}
}  // namespace

TEST_CASE("kept fuzzing inputs: the checkpoint reader parses or raises Error") {
    const std::size_t parsed = replay("fuzz_checkpoint", [](const std::string& bytes) {
        tapegrad::Metadata meta;
        const tapegrad::Checkpoint c = tapegrad::from_bytes(bytes, &meta);
        const std::string again = tapegrad::to_bytes(c, meta);  // version 1 inputs come back as version 2
        if (bytes[8] == 2) CHECK(again == bytes);
        CHECK(tapegrad::from_bytes(again).size() == c.size());
    });
    CHECK(parsed >= 1);  // the seed model file
}

TEST_CASE("kept fuzzing inputs: the CSV reader parses or raises Error") {
    const std::size_t parsed = replay("fuzz_csv", [](const std::string& text) {
        std::istringstream in(text);
        const tapegrad::data::Dataset d = tapegrad::data::read_csv(in, "y", "<replay>", 50);
        CHECK(d.x.size() == d.size() * d.features);
        CHECK((d.task == tapegrad::data::Task::regression ? d.t.size() : d.y.size()) == d.size());
    });
    CHECK(parsed >= 1);  // small.csv
}
