// tapegrad predict: apply a model saved by `tapegrad train --save` to the rows of a CSV table,
// writing them back with a last column, `prediction`.
#include <cstdio>
#include <map>
#include <set>

#include <tapegrad/checkpoint.hpp>
#include <tapegrad/data.hpp>
#include <tapegrad/error.hpp>

#include "commands.hpp"
#include "model_file.hpp"
#include "options.hpp"
#include "train.hpp"

namespace tapegrad::cli {

namespace {

constexpr const char* kHelp =
    "usage: tapegrad predict --load MODEL --csv FILE [--out FILE]\n"
    "\n"
    "Applies a model saved by tapegrad train --save to the rows of a CSV table. The table holds\n"
    "the model's feature columns, by name and in any order; the target column, if present, is\n"
    "ignored. Writes a header row, then each input row with a last column `prediction`: the class\n"
    "name, or the value in the target's units.\n"
    "\n"
    "  --load MODEL      the model file (docs/FILE_FORMAT.md)\n"
    "  --csv FILE        the rows to predict\n"
    "  --out FILE        write the table there (default: standard output)\n"
    "  --no-header       the first row is data: columns are named by 0-based index\n"
    "  --skip-rows N     drop N rows before the header (or the first row)\n";

// A cell as RFC 4180 writes it: quoted when it holds a comma, a quote, a line break or spaces
// at its ends (which a reader would drop).
std::string csv_cell(const std::string& s) {
    const bool quote = s.find_first_of(",\"\r\n") != std::string::npos ||
                       (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.back() == ' ' || s.back() == '\t'));
    if (!quote) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string join_names(const std::vector<std::string>& names) {
    std::string out;
    for (std::size_t i = 0; i < names.size() && i < 10; ++i) out += (i ? ", " : "") + ("'" + names[i] + "'");
    if (names.size() > 10) out += ", and " + std::to_string(names.size() - 10) + " more";
    return out;
}

// Where each of the model's features is in the table; an Error naming what differs.
std::vector<std::size_t> match_columns(const data::Table& t, const ModelInfo& info) {
    std::map<std::string, std::size_t> at;
    for (std::size_t c = 0; c < t.columns.size(); ++c) at.emplace(t.columns[c], c);
    std::vector<std::size_t> cols;
    std::vector<std::string> missing, unexpected;
    for (const std::string& f : info.features) {
        const auto it = at.find(f);
        if (it == at.end()) missing.push_back(f);
        else cols.push_back(it->second);
    }
    const std::set<std::string> known(info.features.begin(), info.features.end());
    for (const std::string& c : t.columns)
        if (!known.count(c) && c != info.target) unexpected.push_back(c);
    if (missing.empty() && unexpected.empty()) return cols;
    std::string msg = "the columns of '" + t.source + "' do not match the model's";
    if (!missing.empty()) msg += "; missing: " + join_names(missing);
    if (!unexpected.empty()) msg += "; not in the model: " + join_names(unexpected);
    throw Error(msg + " (the model's " + std::to_string(info.features.size()) +
                " features: " + join_names(info.features) + ", target '" + info.target + "')");
}

}  // namespace

int predict(const std::vector<std::string>& args) {
    std::string load, csv, out;
    data::CsvOptions csv_options;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& o = args[i];
        if (o == "--help" || o == "-h") {
            std::fputs(kHelp, stdout);
            return 0;
        }
        if (o == "--load") load = option_value(args, i);
        else if (o == "--csv") csv = option_value(args, i);
        else if (o == "--out") out = option_value(args, i);
        else if (o == "--no-header") csv_options.header = false;
        else if (o == "--skip-rows") csv_options.skip_rows = parse_count(o, option_value(args, i), 0, 1'000'000);
        else throw UsageError("unknown option '" + o + "'");
    }
    if (load.empty() || csv.empty()) throw UsageError("--load MODEL and --csv FILE are both needed");

    Metadata meta;
    tapegrad::load(load, &meta);  // checks the file before anything is built
    const ModelInfo info = from_metadata(meta, load);
    TrainOptions o;
    o.sizes = info.sizes;
    o.regression = info.task == data::Task::regression;
    const std::unique_ptr<Trainable> model = info.engine == "tensor" ? make_tensor_model(o) : make_scalar_model(o);
    model->load(load);

    const data::Table t = data::read_table_file(csv, csv_options);
    const std::vector<std::size_t> cols = match_columns(t, info);
    std::string text;
    for (const std::string& c : t.columns) text += csv_cell(c) + ",";
    text += "prediction\n";
    std::vector<double> x(cols.size());
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
        for (std::size_t f = 0; f < cols.size(); ++f)
            x[f] = (data::number_cell(t, r, cols[f]) - info.scaling.mean[f]) / info.scaling.scale[f];
        const std::vector<double> s = model->outputs(x.data());
        const std::string prediction = o.regression ? number_text(s[0] * info.target_scale + info.target_mean)
                                                    : info.classes[static_cast<std::size_t>(decide(s))];
        for (const std::string& cell : t.rows[r]) text += csv_cell(cell) + ",";
        text += csv_cell(prediction) + "\n";
    }
    if (out.empty()) {
        std::fwrite(text.data(), 1, text.size(), stdout);
    } else {
        write_file(out, text);
        std::fprintf(stderr, "wrote %zu predictions to %s\n", t.rows.size(), out.c_str());
    }
    return 0;
}

}  // namespace tapegrad::cli
