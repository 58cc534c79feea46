// libFuzzer target: the CSV reader must raise tapegrad::Error or return a consistent table on any
// text, never crash.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include <tapegrad/data.hpp>
#include <tapegrad/error.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
    try {
        const tapegrad::data::Dataset d = tapegrad::data::read_csv(in, "y", "<fuzz>", 50);
        if (d.x.size() != d.size() * d.features) __builtin_trap();
        if (d.task == tapegrad::data::Task::regression ? d.t.size() != d.size() : d.y.size() != d.size())
            __builtin_trap();
        for (int label : d.y)
            if (label < 0 || label >= d.classes) __builtin_trap();
        // The same text without a header: index-named columns, or an Error.
        std::istringstream again(std::string(reinterpret_cast<const char*>(data), size));
        const tapegrad::data::Table t = tapegrad::data::read_table(again, "<fuzz>", {false, 1});
        for (const auto& row : t.rows)
            if (row.size() != t.columns.size()) __builtin_trap();
    } catch (const tapegrad::Error&) {
    }
    return 0;
}
