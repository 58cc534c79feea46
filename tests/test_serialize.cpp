// The checkpoint format: byte layout, round trips, and every way a file can be wrong.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <doctest/doctest.h>

#include <tapegrad/nn.hpp>

using tapegrad::Checkpoint;
using tapegrad::Error;
using tapegrad::SavedArray;
using tapegrad::StoredType;
namespace nn = tapegrad::nn;
namespace fs = std::filesystem;

namespace {
fs::path scratch_dir() {
    fs::path dir = fs::temp_directory_path() / ("tapegrad_test_serialize_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    return dir;
}
std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
void write_all(const fs::path& p, const std::string& bytes) {
    std::ofstream out(p, std::ios::binary);
    out << bytes;
}
std::vector<double> values_of(const nn::MLP& m) {
    std::vector<double> v;
    for (const tapegrad::Value& p : m.parameters()) v.push_back(p.data());
    return v;
}
}  // namespace

TEST_CASE("checkpoint bytes: the layout of docs/FILE_FORMAT.md, checked byte by byte") {
    const std::string bytes = tapegrad::to_bytes({SavedArray{"a", StoredType::f64, {}, {1.0}}});
    // magic, version 2, 1 array, file size 47 = 24 + 4 (no metadata) + (4 + 1 + 1 + 1) + 8 + 4
    const std::string expected_head = std::string("TAPEGRAD") + std::string("\x02\0\0\0", 4) +
                                      std::string("\x01\0\0\0", 4) + std::string("\x2f\0\0\0\0\0\0\0", 8) +
                                      std::string("\0\0\0\0", 4) +  // 0 metadata entries
                                      std::string("\x01\0\0\0", 4) + "a" + std::string("\x02\x00", 2) +
                                      std::string("\0\0\0\0\0\0\xf0\x3f", 8);  // 1.0 as binary64, little-endian
    REQUIRE(bytes.size() == 47);
    CHECK(bytes.substr(0, 43) == expected_head);
    // CRC-32 of the first 43 bytes, from Python's zlib.crc32: 0xcf84b521, stored little-endian
    CHECK(bytes.substr(43) == std::string("\x21\xb5\x84\xcf", 4));
}

TEST_CASE("checkpoint version 1 still loads: the documented bytes and a model file the old writer made") {
    // docs/FILE_FORMAT.md's version-1 example, byte for byte: no metadata section.
    const std::string v1 = std::string("TAPEGRAD") + std::string("\x01\0\0\0", 4) + std::string("\x01\0\0\0", 4) +
                           std::string("\x2b\0\0\0\0\0\0\0", 8) + std::string("\x01\0\0\0", 4) + "a" +
                           std::string("\x02\x00", 2) + std::string("\0\0\0\0\0\0\xf0\x3f", 8) +
                           std::string("\xfa\x4b\x54\x61", 4);
    tapegrad::Metadata meta{{"stale", {"x"}}};
    const Checkpoint c = tapegrad::from_bytes(v1, &meta);
    REQUIRE(c.size() == 1);
    CHECK(c[0].name == "a");
    CHECK(c[0].values == std::vector<double>{1.0});
    CHECK(meta.empty());
    // An MLP(2, [3, 1]) saved by the version-1 writer (kept with the fuzzing inputs).
    nn::Generator gen(5);
    nn::MLP m(2, {3, 1}, gen);
    const std::vector<double> before = values_of(m);
    nn::load(m, std::string(TAPEGRAD_TEST_DATA) + "/fuzz/fuzz_checkpoint/mlp-2-3-1.tgc");
    CHECK(values_of(m) != before);
    CHECK(values_of(m).size() == 13);
}

TEST_CASE("checkpoint metadata: text lists round trip, bad keys are refused") {
    const tapegrad::Metadata meta{
        {"task", {"classification"}}, {"classes", {"setosa", "a,b\n\"c\"", ""}}, {"empty", {}}};
    tapegrad::Metadata back;
    const Checkpoint c =
        tapegrad::from_bytes(tapegrad::to_bytes({SavedArray{"w", StoredType::f32, {2}, {1, 2}}}, meta), &back);
    CHECK(back == meta);
    CHECK(c.size() == 1);
    CHECK_THROWS_WITH_AS(tapegrad::to_bytes({}, {{"", {"x"}}}),
                         "save: metadata key must have 1 to 4096 bytes, '' has 0", Error);
    const std::string good = tapegrad::to_bytes({}, meta);
    for (std::size_t n = 0; n < good.size(); ++n) CHECK_THROWS_AS(tapegrad::from_bytes(good.substr(0, n)), Error);
}

TEST_CASE("checkpoint round trip: dtypes, shapes, scalars, empty arrays") {
    const Checkpoint in = {
        SavedArray{"w", StoredType::f64, {2, 3}, {1, 2, 3, 4, 5, -6.5e300}},
        SavedArray{"h", StoredType::f32, {4}, {0.1, -2.5, 1e-3, 3.0}},
        SavedArray{"s", StoredType::f64, {}, {0.125}},
        SavedArray{"e", StoredType::f32, {0, 5}, {}},
    };
    const Checkpoint out = tapegrad::from_bytes(tapegrad::to_bytes(in));
    REQUIRE(out.size() == 4);
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(out[i].name == in[i].name);
        CHECK(out[i].type == in[i].type);
        CHECK(out[i].shape == in[i].shape);
    }
    CHECK(out[0].values == in[0].values);
    CHECK(out[1].values[0] == static_cast<double>(0.1f));  // f32 rounds to float
    CHECK(out[1].values[3] == 3.0);
    CHECK(out[2].values == std::vector<double>{0.125});
    CHECK(out[3].values.empty());
    CHECK(tapegrad::from_bytes(tapegrad::to_bytes({})).empty());
}

TEST_CASE("checkpoint writer refuses what the reader could not read back") {
    CHECK_THROWS_WITH_AS(tapegrad::to_bytes({SavedArray{"w", StoredType::f64, {2, 2}, {1, 2, 3}}}),
                         "save: array 'w' has shape [2, 2] (4 elements) but 3 values", Error);
    CHECK_THROWS_WITH_AS(
        tapegrad::to_bytes({SavedArray{"w", StoredType::f64, {}, {1}}, SavedArray{"w", StoredType::f64, {}, {1}}}),
        "save: two arrays are named 'w'", Error);
    CHECK_THROWS_AS(tapegrad::to_bytes({SavedArray{"", StoredType::f64, {}, {1}}}), Error);
}

TEST_CASE("checkpoint reader: every truncation and every flipped byte is an Error, never a crash") {
    const std::string good = tapegrad::to_bytes({SavedArray{"layers.0.w", StoredType::f32, {2, 2}, {1, 2, 3, 4}},
                                                 SavedArray{"layers.0.b", StoredType::f64, {2}, {5, 6}}});
    for (std::size_t n = 0; n < good.size(); ++n) CHECK_THROWS_AS(tapegrad::from_bytes(good.substr(0, n)), Error);
    for (std::size_t i = 0; i < good.size(); ++i) {
        std::string bad = good;
        bad[i] = static_cast<char>(bad[i] ^ 0x10);
        CHECK_THROWS_AS(tapegrad::from_bytes(bad), Error);
    }
    CHECK_THROWS_WITH_AS(tapegrad::from_bytes("PK\x03\x04 a zip file"),
                         "load: not a tapegrad checkpoint (the first 8 bytes are not \"TAPEGRAD\")", Error);
    const std::string truncated =
        "load: truncated checkpoint: the header says " + std::to_string(good.size()) + " bytes, there are 60";
    CHECK_THROWS_WITH_AS(tapegrad::from_bytes(good.substr(0, 60)), truncated.c_str(), Error);
    const std::string trailing = "load: checkpoint has 2 unexpected bytes after its end (the header says " +
                                 std::to_string(good.size()) + " bytes)";
    CHECK_THROWS_WITH_AS(tapegrad::from_bytes(good + "xx"), trailing.c_str(), Error);
    std::string flipped = good;
    flipped[good.size() - 10] ^= 1;  // inside the data
    CHECK_THROWS_WITH_AS(tapegrad::from_bytes(flipped),
                         doctest::Contains("load: checkpoint is corrupted: stored CRC-32"), Error);
    std::string v3 = good;
    v3[8] = 3;
    CHECK_THROWS_WITH_AS(tapegrad::from_bytes(v3),
                         "load: checkpoint format version 3, this tapegrad reads versions 1 to 2", Error);
}

TEST_CASE("MLP save and load: round trip, another architecture, a truncated file") {
    const fs::path dir = scratch_dir();
    const std::string path = (dir / "model.tg").string();
    nn::Generator gen(1);
    nn::MLP a(2, {4, 1}, gen), b(2, {4, 1}, gen);
    REQUIRE(values_of(a) != values_of(b));
    nn::save(a, path);
    nn::load(b, path);
    CHECK(values_of(a) == values_of(b));
    const Checkpoint state = a.state();
    CHECK(state[0].name == "layers.0.neurons.0.w");
    CHECK(state[0].shape == std::vector<std::size_t>{2});
    CHECK(state[1].name == "layers.0.neurons.0.b");
    CHECK(state[1].shape.empty());

    SUBCASE("another architecture: the error names the differing arrays; the model is unchanged") {
        nn::MLP c(3, {4, 1}, gen);
        const std::vector<double> before = values_of(c);
        CHECK_THROWS_WITH_AS(
            nn::load(c, path),
            doctest::Contains("'layers.0.neurons.0.w' has shape [2] in the file, the MLP(3, [4, 1]) expects [3]"),
            Error);
        CHECK(values_of(c) == before);
        nn::MLP d(2, {4, 2}, gen);
        CHECK_THROWS_WITH_AS(nn::load(d, path), doctest::Contains("'layers.1.neurons.1.w' is missing from the file"),
                             Error);
        nn::MLP e(2, {4}, gen);
        CHECK_THROWS_WITH_AS(nn::load(e, path),
                             doctest::Contains("the file has 'layers.1.neurons.0.w', which the MLP(2, [4]) lacks"),
                             Error);
    }
    SUBCASE("a truncated or corrupted file: Error naming the path; the model is unchanged") {
        const std::string bytes = read_all(path);
        write_all(dir / "cut.tg", bytes.substr(0, bytes.size() / 2));
        nn::MLP c(2, {4, 1}, gen);
        const std::vector<double> before = values_of(c);
        CHECK_THROWS_WITH_AS(nn::load(c, (dir / "cut.tg").string()), doctest::Contains("cut.tg': truncated checkpoint"),
                             Error);
        CHECK(values_of(c) == before);
        CHECK_THROWS_WITH_AS(nn::load(c, (dir / "none.tg").string()), doctest::Contains("load: cannot open"), Error);
    }
    SUBCASE("save replaces atomically and leaves no temporary file; a bad directory is an Error") {
        nn::save(b, path);
        nn::save(a, path);
        int files = 0;
        for (const auto& entry : fs::directory_iterator(dir))
            files += entry.path().filename().string().rfind("model.tg", 0) == 0;
        CHECK(files == 1);
        CHECK_THROWS_WITH_AS(nn::save(a, (dir / "no/such/dir/m.tg").string()),
                             doctest::Contains("save: cannot create a temporary file beside"), Error);
    }
    fs::remove_all(dir);
}
