// Saving and loading named arrays of numbers (model parameters) in tapegrad's checkpoint format.
//
// The format is described byte by byte in docs/FILE_FORMAT.md: a header (magic "TAPEGRAD",
// version, text metadata, then each array's name, dtype and shape), the data in little-endian IEEE 754, and a
// CRC-32 of everything before it. save() writes a temporary file beside the target and renames it
// over the target, so an interrupted save leaves either the old file or the new one, never half.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tapegrad/dtype.hpp"

namespace tapegrad {

/// How an array's elements are stored: f32 (IEEE 754 binary32) or f64 (binary64).
using StoredType = DType;  // the name it had before it was one type with tensors' DType

/// "f32" or "f64".
const char* name_of(DType type);

/// One named array of a checkpoint. Values are held as doubles in memory whatever the stored
/// type (every float is exactly a double); an f32 array is rounded to float when written.
struct SavedArray {
    std::string name;  ///< e.g. "layers.0.neurons.3.w"; unique within a checkpoint
    DType type = DType::f64;
    std::vector<std::size_t> shape;  ///< empty for a scalar
    std::vector<double> values;      ///< row-major, product(shape) of them

    /// Number of elements the shape implies (1 for a scalar).
    std::size_t numel() const;
};

/// A checkpoint: arrays in order.
using Checkpoint = std::vector<SavedArray>;

/// Text a checkpoint carries beside its arrays (format version 2): each key names a list of
/// strings, e.g. what a model was trained on. Version 1 files have none.
using Metadata = std::map<std::string, std::vector<std::string>>;

/// Limits a reader enforces, so that a hostile file cannot ask for unbounded memory.
inline constexpr std::size_t kMaxNameLength = 4096;
inline constexpr std::size_t kMaxRank = 8;

/// The checkpoint as bytes (the current version, 2). Raises Error if names repeat or are too
/// long (array names and metadata keys), a shape is too deep, or an array's value count differs
/// from its shape's.
std::string to_bytes(const Checkpoint& arrays, const Metadata& metadata = {});
/// Parses bytes written by to_bytes. Raises Error naming what is wrong: not a checkpoint (magic),
/// an unknown version or dtype, truncation (with the offset and what was being read), trailing
/// bytes, or a checksum mismatch. Never reads outside `bytes`: safe on any input. Reads versions
/// 1 and 2; the metadata goes to `*metadata` when given (empty for version 1).
Checkpoint from_bytes(std::string_view bytes, Metadata* metadata = nullptr);

/// Writes the checkpoint to `path` atomically (temporary file in the same directory, flushed,
/// then renamed over `path`). Raises Error naming the path and the system's reason on failure;
/// `path` is then untouched.
void save(const Checkpoint& arrays, const std::string& path, const Metadata& metadata = {});
/// Reads a checkpoint file, its metadata to `*metadata` when given; errors name the path.
Checkpoint load(const std::string& path, Metadata* metadata = nullptr);

/// Checks that `file` holds exactly the arrays `expected` describes (same names, in any order,
/// same dtypes and shapes) and returns `file`'s arrays in `expected`'s order. Raises Error naming
/// every missing, unexpected or differing array; `what` (e.g. "MLP") starts the message.
Checkpoint match_arrays(const Checkpoint& expected, Checkpoint file, const std::string& what);

}  // namespace tapegrad
