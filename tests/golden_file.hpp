// The golden files the PyTorch generators write (tests/gen_torch_*.py): one record a line,
// "case role count numbers...", and lines starting with '#' for comments.
#pragma once

#include <cstddef>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

namespace tapegrad::test {

// case -> role -> numbers
using Golden = std::map<std::string, std::map<std::string, std::vector<double>>>;

// Reads tests/data/<file>.
inline Golden read_golden(const std::string& file) {
    std::ifstream in(std::string(TAPEGRAD_TEST_DATA) + "/" + file);
    REQUIRE(in.good());
    Golden out;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream fields(line);
        std::string name, role;
        std::size_t count = 0;
        fields >> name >> role >> count;
        std::vector<double>& numbers = out[name][role];
        for (std::size_t k = 0; k < count; ++k) {
            std::string v;
            fields >> v;
            numbers.push_back(std::stod(v));
        }
    }
    return out;
}

}  // namespace tapegrad::test
