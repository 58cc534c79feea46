// The checkpoint format (docs/FILE_FORMAT.md): encoding, decoding with bounds checks on every
// read, the atomic write, and matching a file's arrays against a model's.
#include "tapegrad/checkpoint.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include <boost/crc.hpp>

#include "tapegrad/error.hpp"

namespace tapegrad {

namespace {

constexpr char kMagic[8] = {'T', 'A', 'P', 'E', 'G', 'R', 'A', 'D'};
constexpr std::uint32_t kVersion = 2;                // what save writes; version 1 (no metadata) still loads
constexpr std::size_t kFixedHeader = 8 + 4 + 4 + 8;  // magic, version, count, file size
constexpr std::size_t kChecksumBytes = 4;

std::string shape_string(const std::vector<std::size_t>& shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

std::uint32_t crc32(std::string_view bytes) {
    boost::crc_32_type crc;
    crc.process_bytes(bytes.data(), bytes.size());
    return crc.checksum();
}

// Little-endian writers.
void put_u8(std::string& out, std::uint8_t v) { out.push_back(static_cast<char>(v)); }
template <class U> void put_le(std::string& out, U v) {
    for (std::size_t i = 0; i < sizeof(U); ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// Little-endian reader that never reads past the end: each read names what it was reading.
class Reader {
public:
    explicit Reader(std::string_view bytes) : bytes_(bytes) {}
    std::size_t offset() const { return at_; }
    std::size_t left() const { return bytes_.size() - at_; }
    template <class U> U get(const char* what) {
        need(sizeof(U), what);
        U v = 0;
        for (std::size_t i = 0; i < sizeof(U); ++i)
            v |= static_cast<U>(static_cast<unsigned char>(bytes_[at_ + i])) << (8 * i);
        at_ += sizeof(U);
        return v;
    }
    std::string_view take(std::size_t n, const char* what) {
        need(n, what);
        std::string_view s = bytes_.substr(at_, n);
        at_ += n;
        return s;
    }

private:
    void need(std::size_t n, const char* what) const {
        if (left() < n)
            throw Error("load: truncated checkpoint: " + std::string(what) + " needs " + std::to_string(n) +
                        " bytes at offset " + std::to_string(at_) + ", only " + std::to_string(left()) + " left");
    }
    std::string_view bytes_;
    std::size_t at_ = 0;
};

// A dtype's code in the file (docs/FILE_FORMAT.md): 1 for f32, 2 for f64.
std::uint8_t file_code(DType t) { return t == DType::f32 ? 1 : 2; }

}  // namespace

const char* name_of(DType type) {
    switch (type) {
        case DType::f32: return "f32";
        case DType::f64: return "f64";
    }
    return "unknown";
}

std::size_t SavedArray::numel() const {
    std::size_t n = 1;
    for (std::size_t d : shape) n *= d;
    return n;
}

std::string to_bytes(const Checkpoint& arrays, const Metadata& metadata) {
    std::set<std::string_view> names;
    for (const SavedArray& a : arrays) {
        if (a.name.empty() || a.name.size() > kMaxNameLength)
            throw Error("save: array name must have 1 to " + std::to_string(kMaxNameLength) + " bytes, '" +
                        a.name.substr(0, 64) + "' has " + std::to_string(a.name.size()));
        if (!names.insert(a.name).second) throw Error("save: two arrays are named '" + a.name + "'");
        if (a.shape.size() > kMaxRank)
            throw Error("save: array '" + a.name + "' has rank " + std::to_string(a.shape.size()) + ", at most " +
                        std::to_string(kMaxRank) + " is supported");
        if (a.type != DType::f32 && a.type != DType::f64)
            throw Error("save: array '" + a.name + "' has an unknown dtype code " +
                        std::to_string(static_cast<int>(a.type)));
        if (a.values.size() != a.numel())
            throw Error("save: array '" + a.name + "' has shape " + shape_string(a.shape) + " (" +
                        std::to_string(a.numel()) + " elements) but " + std::to_string(a.values.size()) + " values");
    }
    std::string out(kMagic, sizeof kMagic);
    put_le<std::uint32_t>(out, kVersion);
    put_le<std::uint32_t>(out, static_cast<std::uint32_t>(arrays.size()));
    const std::size_t size_at = out.size();
    put_le<std::uint64_t>(out, 0);  // the file size, filled in below
    put_le<std::uint32_t>(out, static_cast<std::uint32_t>(metadata.size()));
    for (const auto& [key, values] : metadata) {
        if (key.empty() || key.size() > kMaxNameLength)
            throw Error("save: metadata key must have 1 to " + std::to_string(kMaxNameLength) + " bytes, '" +
                        key.substr(0, 64) + "' has " + std::to_string(key.size()));
        put_le<std::uint32_t>(out, static_cast<std::uint32_t>(key.size()));
        out += key;
        put_le<std::uint32_t>(out, static_cast<std::uint32_t>(values.size()));
        for (const std::string& v : values) {
            if (v.size() > UINT32_MAX) throw Error("save: metadata '" + key + "' has a value of more than 4 GiB");
            put_le<std::uint32_t>(out, static_cast<std::uint32_t>(v.size()));
            out += v;
        }
    }
    for (const SavedArray& a : arrays) {
        put_le<std::uint32_t>(out, static_cast<std::uint32_t>(a.name.size()));
        out += a.name;
        put_u8(out, file_code(a.type));
        put_u8(out, static_cast<std::uint8_t>(a.shape.size()));
        for (std::size_t d : a.shape) put_le<std::uint64_t>(out, d);
    }
    for (const SavedArray& a : arrays) {
        for (double v : a.values) {
            if (a.type == DType::f32) put_le(out, std::bit_cast<std::uint32_t>(static_cast<float>(v)));
            else put_le(out, std::bit_cast<std::uint64_t>(v));
        }
    }
    const std::uint64_t total = out.size() + kChecksumBytes;
    for (std::size_t i = 0; i < 8; ++i) out[size_at + i] = static_cast<char>((total >> (8 * i)) & 0xff);
    put_le<std::uint32_t>(out, crc32(out));
    return out;
}

Checkpoint from_bytes(std::string_view bytes, Metadata* metadata) {
    if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
        throw Error("load: not a tapegrad checkpoint (the first 8 bytes are not \"TAPEGRAD\")");
    Reader r(bytes);
    r.take(sizeof kMagic, "magic");
    const std::uint32_t version = r.get<std::uint32_t>("version");
    if (version != 1 && version != kVersion)
        throw Error("load: checkpoint format version " + std::to_string(version) +
                    ", this tapegrad reads versions 1 to " + std::to_string(kVersion));
    const std::uint32_t count = r.get<std::uint32_t>("array count");
    const std::uint64_t size = r.get<std::uint64_t>("file size");
    if (size != bytes.size()) {
        if (bytes.size() < size)
            throw Error("load: truncated checkpoint: the header says " + std::to_string(size) + " bytes, there are " +
                        std::to_string(bytes.size()));
        throw Error("load: checkpoint has " + std::to_string(bytes.size() - size) +
                    " unexpected bytes after its end (the header says " + std::to_string(size) + " bytes)");
    }
    if (size < kFixedHeader + kChecksumBytes)
        throw Error("load: checkpoint size " + std::to_string(size) + " is too small");
    const std::string_view body = bytes.substr(0, bytes.size() - kChecksumBytes);
    Reader tail(bytes.substr(body.size()));
    const std::uint32_t stored = tail.get<std::uint32_t>("checksum");
    const std::uint32_t computed = crc32(body);
    if (stored != computed) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "stored CRC-32 %08x, computed %08x", stored, computed);
        throw Error(std::string("load: checkpoint is corrupted: ") + buf);
    }

    // The checksum matched; the checks below still hold against a hand-made file.
    Reader h(body);
    h.take(kFixedHeader, "fixed header");
    Metadata meta;
    if (version >= 2) {  // version 1 has no metadata section
        const std::uint32_t entries = h.get<std::uint32_t>("metadata count");
        for (std::uint32_t i = 0; i < entries; ++i) {
            const std::uint32_t len = h.get<std::uint32_t>("metadata key length");
            if (len == 0 || len > kMaxNameLength)
                throw Error("load: metadata entry " + std::to_string(i) + " has a key of " + std::to_string(len) +
                            " bytes (1 to " + std::to_string(kMaxNameLength) + " allowed)");
            std::string key(h.take(len, "metadata key"));
            if (meta.count(key)) throw Error("load: two metadata entries are named '" + key + "'");
            std::vector<std::string>& values = meta[key];
            const std::uint32_t n = h.get<std::uint32_t>("metadata value count");
            for (std::uint32_t k = 0; k < n; ++k) {  // each read is bounded, so a huge count only fails
                const std::uint32_t vlen = h.get<std::uint32_t>("metadata value length");
                values.emplace_back(h.take(vlen, "metadata value"));
            }
        }
    }
    Checkpoint arrays;
    std::set<std::string> names;
    std::uint64_t data_bytes = 0;
    for (std::uint32_t i = 0; i < count; ++i) {
        SavedArray a;
        const std::uint32_t len = h.get<std::uint32_t>("name length");
        if (len == 0 || len > kMaxNameLength)
            throw Error("load: array " + std::to_string(i) + " has a name of " + std::to_string(len) + " bytes (1 to " +
                        std::to_string(kMaxNameLength) + " allowed)");
        a.name = std::string(h.take(len, "array name"));
        if (!names.insert(a.name).second) throw Error("load: two arrays are named '" + a.name + "'");
        const std::uint8_t type = h.get<std::uint8_t>("dtype");
        if (type != file_code(DType::f32) && type != file_code(DType::f64))
            throw Error("load: array '" + a.name + "' has unknown dtype code " + std::to_string(type));
        a.type = type == file_code(DType::f32) ? DType::f32 : DType::f64;
        const std::uint8_t rank = h.get<std::uint8_t>("rank");
        if (rank > kMaxRank)
            throw Error("load: array '" + a.name + "' has rank " + std::to_string(rank) + ", at most " +
                        std::to_string(kMaxRank) + " is supported");
        std::uint64_t n = 1;
        for (std::uint8_t d = 0; d < rank; ++d) {
            const std::uint64_t dim = h.get<std::uint64_t>("dimension");
            a.shape.push_back(static_cast<std::size_t>(dim));
            if (dim != 0 && n > body.size() / dim) n = body.size() + 1;  // more elements than bytes: caught below
            else n *= dim;
        }
        const std::uint64_t nbytes = n * dtype_size(a.type);
        if (n > body.size() || data_bytes + nbytes > body.size())
            throw Error("load: array '" + a.name + "' of shape " + shape_string(a.shape) +
                        " is larger than the checkpoint");
        data_bytes += nbytes;
        arrays.push_back(std::move(a));
    }
    if (h.left() != data_bytes)
        throw Error("load: the header describes " + std::to_string(data_bytes) +
                    " bytes of data, the checkpoint holds " + std::to_string(h.left()));
    for (SavedArray& a : arrays) {
        const std::size_t n = a.numel();
        a.values.resize(n);
        for (std::size_t k = 0; k < n; ++k) {
            if (a.type == DType::f32) a.values[k] = std::bit_cast<float>(h.get<std::uint32_t>("data"));
            else a.values[k] = std::bit_cast<double>(h.get<std::uint64_t>("data"));
        }
    }
    if (metadata) *metadata = std::move(meta);
    return arrays;
}

void save(const Checkpoint& arrays, const std::string& path, const Metadata& metadata) {
    const std::string bytes = to_bytes(arrays, metadata);
    std::string tmp = path + ".tmp-XXXXXX";
    const int fd = ::mkstemp(tmp.data());
    if (fd < 0) throw Error("save: cannot create a temporary file beside '" + path + "': " + std::strerror(errno));
    const auto fail = [&](const char* step) {
        const int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        throw Error("save: cannot " + std::string(step) + " '" + tmp + "' (for '" + path + "'): " + std::strerror(err));
    };
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("write");
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fchmod(fd, 0644) != 0) fail("set permissions of");
    if (::fsync(fd) != 0) fail("flush");
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw Error("save: cannot close '" + tmp + "': " + std::strerror(err));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw Error("save: cannot rename '" + tmp + "' to '" + path + "': " + std::strerror(err));
    }
}

Checkpoint load(const std::string& path, Metadata* metadata) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("load: cannot open '" + path + "': " + std::strerror(errno));
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw Error("load: cannot read '" + path + "'");
    try {
        return from_bytes(bytes, metadata);
    } catch (const Error& e) {
        std::string msg = e.what();
        throw Error("load '" + path + "':" + msg.substr(msg.find(':') + 1));
    }
}

Checkpoint match_arrays(const Checkpoint& expected, Checkpoint file, const std::string& what) {
    std::map<std::string, std::size_t> in_file;
    for (std::size_t i = 0; i < file.size(); ++i) in_file.emplace(file[i].name, i);
    std::vector<std::string> problems;
    std::set<std::string> wanted;
    for (const SavedArray& e : expected) wanted.insert(e.name);
    std::vector<std::string> unexpected;
    for (const SavedArray& f : file)
        if (!wanted.count(f.name)) unexpected.push_back("the file has '" + f.name + "', which the " + what + " lacks");
    Checkpoint out;
    for (const SavedArray& e : expected) {
        auto it = in_file.find(e.name);
        if (it == in_file.end()) {
            problems.push_back("'" + e.name + "' is missing from the file");
            continue;
        }
        SavedArray& f = file[it->second];
        if (f.shape != e.shape)
            problems.push_back("'" + e.name + "' has shape " + shape_string(f.shape) + " in the file, the " + what +
                               " expects " + shape_string(e.shape));
        else if (f.type != e.type)
            problems.push_back("'" + e.name + "' is " + name_of(f.type) + " in the file, the " + what + " expects " +
                               name_of(e.type));
        out.push_back(std::move(f));
    }
    problems.insert(problems.end(), unexpected.begin(), unexpected.end());
    if (!problems.empty()) {
        std::string msg = "load: the file does not fit this " + what + " (" + std::to_string(file.size()) +
                          " arrays in the file, " + std::to_string(expected.size()) + " in the " + what + "): ";
        const std::size_t shown = std::min<std::size_t>(problems.size(), 5);
        for (std::size_t i = 0; i < shown; ++i) msg += (i ? "; " : "") + problems[i];
        if (problems.size() > shown) msg += "; and " + std::to_string(problems.size() - shown) + " more";
        throw Error(msg);
    }
    return out;
}

}  // namespace tapegrad
