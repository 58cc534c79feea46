// tapegrad train and predict on CSV tables the tests write: text labels in quoted cells,
// regression on both engines, held-out scores and the JSON report, saved models applied to new
// rows, and the errors a user meets.
#ifdef TAPEGRAD_CLI_PATH
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include <doctest/doctest.h>

#include <tapegrad/checkpoint.hpp>
#include <tapegrad/data.hpp>

#include "cli_run.hpp"

namespace {

// Three separable clusters, labelled by name; the feature names hold a comma and a quote.
void write_species(const std::string& path, int n) {
    std::ofstream csv(path, std::ios::binary);
    csv << "\xEF\xBB\xBF\"petal, length\",\"the \"\"width\"\"\",species\r\n";
    const char* names[] = {"versicolor", "setosa", "virginica"};
    for (int i = 0; i < n; ++i) {
        const int k = i % 3;
        const double jitter = 0.3 * std::sin(1.7 * i), other = 0.3 * std::cos(2.3 * i);
        csv << 2.0 * k + jitter << "," << (k == 1 ? 3.0 : -1.0) + other << ",\"" << names[k] << "\"\r\n";
    }
    csv << "\r\n\r\n";
}

// price = 3 a - 2 b + 10.5 + a small wobble: a regression target of non-integers.
double price(double a, double b) { return 3.0 * a - 2.0 * b + 10.5; }
void write_prices(const std::string& path, int n, bool with_target = true) {
    std::ofstream csv(path);
    csv << "a,b" << (with_target ? ",price" : "") << "\n";
    for (int i = 0; i < n; ++i) {
        const double a = std::sin(0.37 * i) * 2.0, b = std::cos(0.91 * i);
        csv << a << "," << b;
        if (with_target) csv << "," << price(a, b) + 0.01 * std::sin(5.0 * i);
        csv << "\n";
    }
}

}  // namespace

TEST_CASE("tapegrad train: text labels in quoted cells, held-out accuracy in the JSON report") {
    Scratch s;
    write_species(s / "species.csv", 150);
    const Run r = run("train --csv " + (s / "species.csv") +
                      " --target species --tensor --optimizer adam --epochs 200 "
                      "--test-split 0.2 --seed 4 --report " +
                      (s / "r.json"));
    REQUIRE(r.status == 0);
    CHECK(r.out.find("classification: the target 'species' holds text") != std::string::npos);
    CHECK(r.out.find("classes: 0 = setosa, 1 = versicolor, 2 = virginica") != std::string::npos);
    CHECK(r.out.find("held out 30 of 150 rows for testing") != std::string::npos);
    CHECK(r.out.find("test:  loss") != std::string::npos);
    const std::string json = slurp(s / "r.json");
    CHECK(json.find("\"task\": \"classification\"") != std::string::npos);
    CHECK(json.find("\"classes\": [\"setosa\", \"versicolor\", \"virginica\"]") != std::string::npos);
    CHECK(json.find("\"epochs\": 200") != std::string::npos);
    CHECK(json_number(json, "train", "rows") == 120);
    CHECK(json_number(json, "test", "rows") == 30);
    CHECK(json_number(json, "test", "accuracy") >= 0.9);
    CHECK(json_number(json, "train", "accuracy") >= 0.9);
    CHECK(json_number(json, "test", "loss") >= 0.0);
}

TEST_CASE("tapegrad train: regression on both engines, RMSE and R2 in the target's units, then predict") {
    Scratch s;
    write_prices(s / "p.csv", 200);
    for (const std::string engine : {"", "--tensor "}) {
        CAPTURE(engine);
        const Run r = run("train --csv " + (s / "p.csv") + " --target price " + engine +
                          "--optimizer adam --epochs 150 --batch 20 --test-split 0.25 --save " + (s / "m.tgc") +
                          " --report " + (s / "r.json"));
        REQUIRE(r.status == 0);
        CHECK(r.out.find("regression: the target 'price' holds non-integer numbers") != std::string::npos);
        CHECK(r.out.find("training RMSE") != std::string::npos);
        const std::string json = slurp(s / "r.json");
        CHECK(json.find("\"task\": \"regression\"") != std::string::npos);
        CHECK(json.find("\"classes\"") == std::string::npos);
        CHECK(json_number(json, "test", "r2") > 0.95);
        CHECK(json_number(json, "test", "rmse") < 0.5);  // the target's standard deviation is about 6.6
        CHECK(std::isnan(json_number(json, "test", "accuracy")));

        // The saved model on rows without the target: predictions in the target's units.
        write_prices(s / "new.csv", 20, false);
        const Run p =
            run("predict --load " + (s / "m.tgc") + " --csv " + (s / "new.csv") + " --out " + (s / "out.csv"));
        REQUIRE(p.status == 0);
        std::istringstream in(slurp(s / "out.csv"));
        const tapegrad::data::Table t = tapegrad::data::read_table(in, "out.csv");
        CHECK(t.columns == std::vector<std::string>{"a", "b", "prediction"});
        REQUIRE(t.rows.size() == 20);
        double worst = 0.0;
        for (std::size_t i = 0; i < t.rows.size(); ++i) {
            const double want = price(std::stod(t.rows[i][0]), std::stod(t.rows[i][1]));
            worst = std::max(worst, std::fabs(std::stod(t.rows[i][2]) - want));
        }
        CHECK(worst < 1.5);
    }
}

TEST_CASE("tapegrad predict: class names, the input's columns kept, any column order") {
    Scratch s;
    write_species(s / "species.csv", 90);
    REQUIRE(
        run("train --csv " + (s / "species.csv") + " --target species --epochs 100 --save " + (s / "m.tgc")).status ==
        0);
    {
        std::ofstream csv(s / "new.csv");
        csv << "species,\"the \"\"width\"\"\",petal, length\n";  // unquoted "petal" then " length": two columns
    }
    const Run bad = run("predict --load " + (s / "m.tgc") + " --csv " + (s / "new.csv"));
    CHECK(bad.status == 1);
    CHECK(bad.out.find("the columns of '" + (s / "new.csv") +
                       "' do not match the model's; missing: 'petal, length'; "
                       "not in the model: 'petal', 'length'") != std::string::npos);
    {
        std::ofstream csv(s / "new.csv");
        csv << "\"the \"\"width\"\"\",\"petal, length\",species\n3,2,\"a, b\"\n-1,0,x\n-1,4,\n";
    }
    const Run p = run("predict --load " + (s / "m.tgc") + " --csv " + (s / "new.csv"));
    REQUIRE(p.status == 0);
    std::istringstream in(p.out);
    const tapegrad::data::Table t = tapegrad::data::read_table(in, "stdout");
    CHECK(t.columns == std::vector<std::string>{"the \"width\"", "petal, length", "species", "prediction"});
    REQUIRE(t.rows.size() == 3);
    CHECK(t.rows[0][2] == "a, b");  // the target column is copied, not used
    CHECK(t.rows[0][3] == "setosa");
    CHECK(t.rows[1][3] == "versicolor");
    CHECK(t.rows[2][3] == "virginica");
    {
        std::ofstream csv(s / "bad.csv");
        csv << "\"petal, length\",\"the \"\"width\"\"\"\n1,2\n3,tall\n";
    }
    const Run cell = run("predict --load " + (s / "m.tgc") + " --csv " + (s / "bad.csv"));
    CHECK(cell.status == 1);
    CHECK(cell.out.find("line 3, column 2 ('the \"width\"'): 'tall' is not a finite number") != std::string::npos);
    // A version-1 file (made by the old writer) still loads, but carries nothing to predict with.
    const Run old = run("predict --load " + std::string(TAPEGRAD_TEST_DATA) +
                        "/fuzz/fuzz_checkpoint/mlp-2-3-1.tgc --csv " + (s / "bad.csv"));
    CHECK(old.status == 1);
    CHECK(old.out.find("mlp-2-3-1.tgc' has no 'task' entry") != std::string::npos);
    CHECK(run("predict --csv x.csv").status == 2);
    // A file whose metadata is damaged names the entry.
    tapegrad::Metadata meta;
    const tapegrad::Checkpoint arrays = tapegrad::load(s / "m.tgc", &meta);
    CHECK(meta.at("task") == std::vector<std::string>{"classification"});
    CHECK(meta.at("classes") == std::vector<std::string>{"setosa", "versicolor", "virginica"});
    meta["sizes"] = {"2", "many", "3"};
    tapegrad::save(arrays, s / "damaged.tgc", meta);
    const Run damaged = run("predict --load " + (s / "damaged.tgc") + " --csv " + (s / "new.csv"));
    CHECK(damaged.status == 1);
    CHECK(damaged.out.find("damaged.tgc': the 'sizes' entry is malformed: 'many' is not a finite number") !=
          std::string::npos);
    meta["sizes"] = {"2", "16", "16", "3"};
    meta.erase("feature_scale");
    tapegrad::save(arrays, s / "damaged.tgc", meta);
    CHECK(run("predict --load " + (s / "damaged.tgc") + " --csv " + (s / "new.csv"))
              .out.find("has no 'feature_scale' entry") != std::string::npos);
}

TEST_CASE("tapegrad train: --task, --no-header and the errors of tables") {
    Scratch s;
    write_prices(s / "p.csv", 30);
    const Run cls = run("train --csv " + (s / "p.csv") + " --target price --task classification");
    CHECK(cls.status == 1);
    CHECK(cls.out.find("classification needs text or integer labels, the target 'price' holds non-integer numbers (30 "
                       "distinct values)") != std::string::npos);
    {
        std::ofstream csv(s / "n.csv");
        csv << "150,2,setosa\n";  // as sklearn's files: counts and class names, not column names
        for (int i = 0; i < 40; ++i) csv << i % 5 << "," << (i % 2) * 0.5 + i * 0.01 << "," << (i % 2) << "\n";
    }
    const Run note = run("train --csv " + (s / "n.csv") + " --target 2 --epochs 1");  // the column named "2"
    CHECK(note.out.find("note: '2' is the name of column 1 here; if the first row is data, use --no-header") !=
          std::string::npos);
    CHECK(note.out.find("regression: the target '2' holds non-integer numbers") != std::string::npos);
    const Run ok = run("train --csv " + (s / "n.csv") + " --no-header --skip-rows 1 --target 2 --epochs 50");
    CHECK(ok.status == 0);
    CHECK(ok.out.find("classification: the target '2' holds integers only (2 distinct values)") != std::string::npos);
    CHECK(ok.out.find("40 points, 2 features, 2 classes") != std::string::npos);
    const Run reg =
        run("train --csv " + (s / "n.csv") + " --no-header --skip-rows 1 --target 2 --task regression --epochs 5");
    CHECK(reg.status == 0);
    CHECK(reg.out.find("regression: asked for") != std::string::npos);
    for (const char* args : {"train --task sorting --csv x.csv --target y", "train --task regression",
                             "train --test-split 1.5", "train --no-header"}) {
        CAPTURE(args);
        const Run r = run(args);
        CHECK(r.status == 2);
        CHECK(count(r.out, "\n") == 1);
    }
    const Run tiny = run("train --samples 4 --test-split 0.01");
    CHECK(tiny.status == 1);
    CHECK(tiny.out.find("leaves 4 for training and 0 for testing") != std::string::npos);
}
#endif
