// Datasets: the generated toy sets and the CSV reader's errors.
#include <algorithm>
#include <cmath>
#include <sstream>

#include <doctest/doctest.h>

#include <tapegrad/data.hpp>
#include <tapegrad/error.hpp>

using tapegrad::Error;
namespace data = tapegrad::data;

TEST_CASE("two moons without noise lie on the two half circles of sklearn's make_moons") {
    const data::Dataset d = data::make_moons(10, 0.0, 1);
    REQUIRE(d.size() == 10);
    CHECK(d.features == 2);
    CHECK(d.classes == 2);
    for (std::size_t i = 0; i < d.size(); ++i) {
        const double x = d.row(i)[0], y = d.row(i)[1];
        if (d.y[i] == 0) CHECK(std::hypot(x, y) == doctest::Approx(1.0).epsilon(1e-12));  // centre (0, 0)
        else CHECK(std::hypot(x - 1.0, y - 0.5) == doctest::Approx(1.0).epsilon(1e-12));  // centre (1, 0.5)
    }
    CHECK(d.row(0)[0] == 1.0);  // t = 0 on the upper moon: (cos 0, sin 0)
    CHECK(d.row(5)[0] == 0.0);  // t = 0 on the lower moon: (1 - cos 0, 0.5 - sin 0)
    CHECK(d.row(5)[1] == 0.5);
}

TEST_CASE("spiral, xor, circles: sizes, labels, geometry, the same seed gives the same points") {
    const data::Dataset s = data::make_spiral(50, 3, 0.0, 2);
    CHECK(s.size() == 150);
    CHECK(s.classes == 3);
    CHECK(std::hypot(s.row(49)[0], s.row(49)[1]) == doctest::Approx(1.0).epsilon(1e-12));  // radius grows to 1
    const data::Dataset x = data::make_xor(200, 0.0, 3);
    for (std::size_t i = 0; i < x.size(); ++i) CHECK(x.y[i] == (x.row(i)[0] * x.row(i)[1] < 0 ? 1 : 0));
    const data::Dataset c = data::make_circles(20, 0.0, 0.5, 4);
    for (std::size_t i = 0; i < c.size(); ++i)
        CHECK(std::hypot(c.row(i)[0], c.row(i)[1]) == doctest::Approx(c.y[i] == 0 ? 1.0 : 0.5).epsilon(1e-12));
    CHECK(data::make_moons(30, 0.2, 9).x == data::make_moons(30, 0.2, 9).x);
    CHECK(data::make_moons(30, 0.2, 9).x != data::make_moons(30, 0.2, 10).x);
    CHECK_THROWS_WITH_AS(data::make_dataset("iris", 10, 0.1, 1),
                         "make_dataset: unknown dataset 'iris' (known: moons, spiral, xor, circles)", Error);
}

TEST_CASE("read_csv: header, features, labels mapped in sorted order") {
    std::istringstream in("a, b ,\"label\"\r\n1,2,5\n\n3.5,-4e-1,2\r\n  0 ,0, 5\n");
    const data::Dataset d = data::read_csv(in, "label");
    CHECK(d.size() == 3);
    CHECK(d.features == 2);
    CHECK(d.feature_names == std::vector<std::string>{"a", "b"});
    CHECK(d.x == std::vector<double>{1, 2, 3.5, -0.4, 0, 0});
    CHECK(d.classes == 2);
    CHECK(d.class_names == std::vector<std::string>{"2", "5"});
    CHECK(d.y == std::vector<int>{1, 0, 1});
}

TEST_CASE("read_csv: every bad input is an Error naming line and column") {
    const auto fails = [](const std::string& text, const std::string& target = "y") {
        std::istringstream in(text);
        try {
            data::read_csv(in, target, "t.csv");
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK(fails("y,x\n1,0\n2,abc\n") == "read_csv: t.csv: line 3, column 2 ('x'): 'abc' is not a finite number");
    CHECK(fails("x,y\n1,0\n,1\n") == "read_csv: t.csv: line 3, column 1 ('x'): empty cell is not a finite number");
    CHECK(fails("y,x\n1,0\n2,inf\n") == "read_csv: t.csv: line 3, column 2 ('x'): 'inf' is not a finite number");
    CHECK(fails("x,y\n1 2,0\n") == "read_csv: t.csv: line 2, column 1 ('x'): '1 2' is not a finite number");
    CHECK(fails("x,y\n1,0,3\n") == "read_csv: t.csv: line 2 has 3 cells, the header has 2");
    CHECK(fails("x,z\n1,0\n") == "read_csv: t.csv: no column named 'y' (columns: x, z)");
    CHECK(fails("") == "read_csv: t.csv: no header row (the input is empty)");
    CHECK(fails("x,y\n") == "read_csv: t.csv: the table has a header but no rows");
    CHECK(fails("y\n1\n") == "read_csv: t.csv: the target 'y' is the only column: no features");
    CHECK(fails("x,y,y\n1,2,3\n") == "read_csv: t.csv: two columns are named 'y' (columns 2 and 3)");
    CHECK(fails("x,,y\n1,2,3\n") == "read_csv: t.csv: line 1, column 2: empty column name");
    CHECK(fails("x,y\n1,\"0\n2,1\n") == "read_csv: t.csv: line 2, column 2: the quoted cell is not closed");
    CHECK(fails("x,y\n\"1\"2,0\n") == "read_csv: t.csv: line 2, column 1: text after the closing quote");
    CHECK(fails("x,y\n1.5,a\n2,\n") == "read_csv: t.csv: line 3, column 2 ('y'): empty cell, no class label");
    CHECK(fails("x,y\nfoo,a\n") == "read_csv: t.csv: line 2, column 1 ('x'): 'foo' is not a finite number");
    CHECK(fails(std::string("y,x\n1,\x01\x02\n")) ==
          "read_csv: t.csv: line 2, column 2 ('x'): '?"
          "?' is not a finite number");
}

TEST_CASE("scaling: zero mean and unit variance per feature, a constant feature is left at scale 1") {
    std::istringstream in("a,b,y\n1,5,0\n3,5,1\n");
    data::Dataset d = data::read_csv(in, "y");
    const data::Scaling s = data::fit_scaling(d);
    CHECK(s.mean == std::vector<double>{2, 5});
    CHECK(s.scale == std::vector<double>{1, 1});
    data::apply_scaling(d, s);
    CHECK(d.x == std::vector<double>{-1, 0, 1, 0});
}

TEST_CASE("read_table: RFC 4180 quoting, CRLF, a byte order mark, blank lines at the end") {
    std::istringstream in(
        "\xEF\xBB\xBF\"name, full\",\"say \"\"hi\"\"\",n\r\n"
        "\"Smith, J\",\"two\r\nlines\",1\r\n"
        " plain , \"\" ,2\n\n\r\n\n");
    const data::Table t = data::read_table(in, "q.csv");
    CHECK(t.columns == std::vector<std::string>{"name, full", "say \"hi\"", "n"});
    REQUIRE(t.rows.size() == 2);
    CHECK(t.rows[0] == std::vector<std::string>{"Smith, J", "two\r\nlines", "1"});
    CHECK(t.rows[1] == std::vector<std::string>{"plain", "", "2"});
    CHECK(t.lines == std::vector<std::size_t>{2, 4});  // a row's first line; the quoted break counts
    CHECK(data::column_index(t, "n") == 2);
    CHECK_THROWS_WITH_AS(data::column_index(t, "m"),
                         "read_csv: q.csv: no column named 'm' (columns: name, full, say \"hi\", n)", Error);
}

TEST_CASE("read_table without a header names columns by index, skip_rows drops leading records") {
    std::istringstream in("150,4,setosa\n5.1,3.5,0\n4.9,3.0,2\n");
    const data::Table t = data::read_table(in, "i.csv", {false, 1});
    CHECK(t.columns == std::vector<std::string>{"0", "1", "2"});
    CHECK(t.rows.size() == 2);
    CHECK(t.lines.front() == 2);
    const data::Dataset d = data::to_dataset(t, "2");
    CHECK(d.task == data::Task::classification);
    CHECK(d.class_names == std::vector<std::string>{"0", "2"});
    CHECK(d.y == std::vector<int>{0, 1});
    std::istringstream ragged("1,2\n3\n");
    CHECK_THROWS_WITH_AS(data::read_table(ragged, "r.csv", {false, 0}),
                         "read_csv: r.csv: line 2 has 1 cells, the first row has 2", Error);
    std::istringstream few("a\n");
    CHECK_THROWS_WITH_AS(data::read_table(few, "f.csv", {true, 2}), "read_csv: f.csv: fewer rows than the 2 to skip",
                         Error);
}

TEST_CASE("to_dataset: text and integer targets are classification, other numbers regression") {
    const auto table = [](const std::string& text) {
        std::istringstream in(text);
        return data::read_table(in, "t.csv");
    };
    const data::Dataset text =
        data::to_dataset(table("a,species\n1,virginica\n2,setosa\n3,\"versicolor\"\n4,setosa\n"), "species");
    CHECK(text.task == data::Task::classification);
    CHECK(text.class_names == std::vector<std::string>{"setosa", "versicolor", "virginica"});
    CHECK(text.y == std::vector<int>{2, 0, 1, 0});
    CHECK(text.task_reason == "the target 'species' holds text");
    const data::Dataset ints = data::to_dataset(table("a,k\n1,10\n2,9\n3,-1\n"), "k");
    CHECK(ints.class_names == std::vector<std::string>{"-1", "9", "10"});  // numeric order
    CHECK(ints.y == std::vector<int>{2, 1, 0});
    CHECK(ints.task_reason == "the target 'k' holds integers only (3 distinct values)");
    const data::Dataset reals = data::to_dataset(table("a,price\n1,24.5\n2,21\n3,21\n"), "price");
    CHECK(reals.task == data::Task::regression);
    CHECK(reals.t == std::vector<double>{24.5, 21, 21});
    CHECK(reals.y.empty());
    CHECK(reals.size() == 3);
    CHECK(reals.task_reason == "the target 'price' holds non-integer numbers");
    const data::Dataset forced = data::to_dataset(table("a,k\n1,10\n2,9\n"), "k", data::Task::regression);
    CHECK(forced.t == std::vector<double>{10, 9});
    CHECK_THROWS_WITH_AS(
        data::to_dataset(table("a,price\n1,24.5\n2,21\n3,21\n"), "price", data::Task::classification),
        "read_csv: t.csv: classification needs text or integer labels, the target 'price' holds non-integer "
        "numbers (2 distinct values); use regression",
        Error);
    CHECK_THROWS_WITH_AS(data::to_dataset(table("a,y\n1,2\n2,setosa\n"), "y", data::Task::regression),
                         "read_csv: t.csv: line 3, column 2 ('y'): 'setosa' is not a finite number", Error);
}

TEST_CASE("train_test_split: seeded, stratified for classes, every row in exactly one part") {
    data::Dataset d;
    d.features = 1;
    d.classes = 2;
    for (int i = 0; i < 100; ++i) {
        d.x.push_back(i);
        d.y.push_back(i < 80 ? 0 : 1);
    }
    const auto [train, test] = data::train_test_split(d, 0.25, 7);
    CHECK(train.size() == 75);
    CHECK(test.size() == 25);
    CHECK(std::count(test.y.begin(), test.y.end(), 1) == 5);  // a quarter of each class
    std::vector<double> all = train.x;
    all.insert(all.end(), test.x.begin(), test.x.end());
    std::sort(all.begin(), all.end());
    CHECK(all == d.x);
    CHECK(data::train_test_split(d, 0.25, 7).second.x == test.x);
    CHECK(data::train_test_split(d, 0.25, 8).second.x != test.x);
    d.task = data::Task::regression;
    d.t.assign(d.x.begin(), d.x.end());
    d.y.clear();
    const auto [rtrain, rtest] = data::train_test_split(d, 0.1, 7);
    CHECK(rtest.t.size() == 10);
    CHECK(rtest.t == rtest.x);
    CHECK_THROWS_WITH_AS(data::train_test_split(d, 0.001, 7),
                         "train_test_split: a test fraction of 0.001000 of 100 rows leaves 100 for training and 0 for "
                         "testing; both need at least one",
                         Error);
    CHECK_THROWS_AS(data::train_test_split(d, 1.0, 7), Error);
}
