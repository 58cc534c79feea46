// Datasets: the generated toy sets and the CSV reader's errors.
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
        if (d.y[i] == 0) CHECK(std::hypot(x, y) == doctest::Approx(1.0).epsilon(1e-12));           // centre (0, 0)
        else CHECK(std::hypot(x - 1.0, y - 0.5) == doctest::Approx(1.0).epsilon(1e-12));          // centre (1, 0.5)
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
    CHECK(fails("x,y\n1,0\n2,abc\n") == "read_csv: t.csv: line 3, column 2 ('y'): 'abc' is not a finite number");
    CHECK(fails("x,y\n1,0\n,1\n") == "read_csv: t.csv: line 3, column 1 ('x'): empty cell is not a finite number");
    CHECK(fails("x,y\n1,0\n2,inf\n") == "read_csv: t.csv: line 3, column 2 ('y'): 'inf' is not a finite number");
    CHECK(fails("x,y\n1 2,0\n") == "read_csv: t.csv: line 2, column 1 ('x'): '1 2' is not a finite number");
    CHECK(fails("x,y\n1,0,3\n") == "read_csv: t.csv: line 2 has 3 cells, the header has 2");
    CHECK(fails("x,z\n1,0\n") == "read_csv: t.csv: no column named 'y' (columns: x, z)");
    CHECK(fails("") == "read_csv: t.csv: no header row (the input is empty)");
    CHECK(fails("x,y\n") == "read_csv: t.csv: the table has a header but no rows");
    CHECK(fails("y\n1\n") == "read_csv: t.csv: the target 'y' is the only column: no features");
    CHECK(fails("x,y,y\n1,2,3\n") == "read_csv: t.csv: two columns are named 'y' (columns 2 and 3)");
    CHECK(fails("x,,y\n1,2,3\n") == "read_csv: t.csv: line 1, column 2: empty column name");
    CHECK(fails(std::string("x,y\n1,\x01\x02\n")) == "read_csv: t.csv: line 2, column 2 ('y'): '?" "?' is not a finite number");
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
