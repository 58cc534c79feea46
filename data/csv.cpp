// The CSV reader (RFC 4180): text to a Table of cells, every mistake an Error with its line and
// column. Kept small because it is a fuzzing target (fuzz/fuzz_csv.cpp).
#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <set>

#include "csv_detail.hpp"
#include "tapegrad/data.hpp"
#include "tapegrad/error.hpp"

namespace tapegrad::data {

using detail::shown_cell;

namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && (is_space(s.back()) || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// One record at a time from the whole text. Why not getline: a quoted cell may span lines.
class Records {
public:
    Records(std::string_view text, std::string where) : s_(text), where_(std::move(where)) {
        if (s_.substr(0, 3) == "\xEF\xBB\xBF") s_.remove_prefix(3);  // UTF-8 byte order mark
    }
    std::size_t line() const { return line_; }
    // The next non-blank record's cells into `cells`; false at the end of the text.
    bool next(std::vector<std::string>& cells, std::size_t& start_line) {
        for (;;) {
            if (at_ >= s_.size()) return false;
            start_line = line_;
            cells.clear();
            bool quoted_any = false;
            for (;;) {
                bool quoted = false;
                cells.push_back(cell(quoted, cells.size() + 1));
                quoted_any |= quoted;
                if (at_ >= s_.size()) break;
                const char c = s_[at_++];
                if (c == '\n') {
                    ++line_;
                    break;
                }
                // c is ',': another cell follows
            }
            if (quoted_any || cells.size() > 1 || !cells[0].empty()) return true;
            // a blank line: skip it
        }
    }

private:
    // Reads one cell, leaving at_ on the ',' or '\n' after it (or the end).
    std::string cell(bool& quoted, std::size_t col) {
        std::size_t p = at_;
        while (p < s_.size() && is_space(s_[p])) ++p;
        if (p < s_.size() && s_[p] == '"') {
            quoted = true;
            const std::size_t open_line = line_;
            std::string out;
            for (++p;; ++p) {
                if (p >= s_.size())
                    throw Error(where_ + ": line " + std::to_string(open_line) + ", column " + std::to_string(col) +
                                ": the quoted cell is not closed");
                const char c = s_[p];
                if (c == '"') {
                    if (p + 1 < s_.size() && s_[p + 1] == '"') {
                        out += '"';
                        ++p;
                        continue;
                    }
                    break;
                }
                if (c == '\n') ++line_;
                out += c;
            }
            ++p;
            while (p < s_.size() && (is_space(s_[p]) || s_[p] == '\r')) ++p;
            if (p < s_.size() && s_[p] != ',' && s_[p] != '\n')
                throw Error(where_ + ": line " + std::to_string(line_) + ", column " + std::to_string(col) +
                            ": text after the closing quote");
            at_ = p;
            return out;
        }
        std::size_t end = at_;
        while (end < s_.size() && s_[end] != ',' && s_[end] != '\n') ++end;
        std::string out(trim(s_.substr(at_, end - at_)));
        at_ = end;
        return out;
    }
    std::string_view s_;
    std::string where_;
    std::size_t at_ = 0, line_ = 1;
};

}  // namespace

std::string detail::shown_cell(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 40)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
    if (s.size() > 40) out += "...";
    return out;
}

Table read_table(std::istream& in, const std::string& source, const CsvOptions& options) {
    const std::string where = "read_csv: " + source;
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw Error(where + ": read error");
    Records records(text, where);
    Table t;
    t.source = source;
    std::vector<std::string> cells;
    std::size_t line = 0;
    for (std::size_t i = 0; i < options.skip_rows; ++i)
        if (!records.next(cells, line))
            throw Error(where + ": fewer rows than the " + std::to_string(options.skip_rows) + " to skip");
    if (!records.next(cells, line))
        throw Error(where + (options.header ? ": no header row (the input is empty)" : ": the input is empty"));
    if (options.header) {
        std::set<std::string> seen;
        for (std::size_t c = 0; c < cells.size(); ++c) {
            if (cells[c].empty())
                throw Error(where + ": line " + std::to_string(line) + ", column " + std::to_string(c + 1) +
                            ": empty column name");
            if (!seen.insert(cells[c]).second) {
                std::size_t first = 0;
                while (cells[first] != cells[c]) ++first;
                throw Error(where + ": two columns are named '" + shown_cell(cells[c]) + "' (columns " +
                            std::to_string(first + 1) + " and " + std::to_string(c + 1) + ")");
            }
        }
        t.columns = cells;
    } else {
        for (std::size_t c = 0; c < cells.size(); ++c) t.columns.push_back(std::to_string(c));
        t.rows.push_back(cells);
        t.lines.push_back(line);
    }
    while (records.next(cells, line)) {
        if (cells.size() != t.columns.size())
            throw Error(where + ": line " + std::to_string(line) + " has " + std::to_string(cells.size()) +
                        " cells, the " + (options.header ? "header has " : "first row has ") +
                        std::to_string(t.columns.size()));
        t.rows.push_back(cells);
        t.lines.push_back(line);
    }
    return t;
}

Table read_table_file(const std::string& path, const CsvOptions& options) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("read_csv: cannot open '" + path + "'");
    return read_table(in, path, options);
}

double number_cell(const Table& t, std::size_t row, std::size_t col) {
    const std::string_view cell = t.rows[row][col];
    double v = 0.0;
    const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
    const bool ok = !cell.empty() && ec == std::errc() && end == cell.data() + cell.size() && std::isfinite(v);
    if (!ok)
        throw Error("read_csv: " + t.source + ": line " + std::to_string(t.lines[row]) + ", column " +
                    std::to_string(col + 1) + " ('" + shown_cell(t.columns[col]) +
                    "'): " + (cell.empty() ? std::string("empty cell") : "'" + shown_cell(cell) + "'") +
                    " is not a finite number");
    return v;
}

std::size_t column_index(const Table& t, const std::string& name) {
    for (std::size_t c = 0; c < t.columns.size(); ++c)
        if (t.columns[c] == name) return c;
    std::string list;
    for (std::size_t c = 0; c < t.columns.size() && c < 20; ++c) list += (c ? ", " : "") + shown_cell(t.columns[c]);
    if (t.columns.size() > 20) list += ", ...";
    throw Error("read_csv: " + t.source + ": no column named '" + shown_cell(name) + "' (columns: " + list + ")");
}

}  // namespace tapegrad::data
