// libFuzzer target: the checkpoint reader must raise tapegrad::Error or succeed on any bytes,
// never crash or read outside them; what it accepts must survive a round trip.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <tapegrad/checkpoint.hpp>
#include <tapegrad/error.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    tapegrad::Checkpoint parsed;
    tapegrad::Metadata meta;
    try {
        parsed = tapegrad::from_bytes(bytes, &meta);
    } catch (const tapegrad::Error&) {
        return 0;
    }
    // Accepted bytes of the current version are canonical; version 1 comes back as version 2.
    const std::string again = tapegrad::to_bytes(parsed, meta);
    if (bytes[8] == 2 && again != bytes) __builtin_trap();
    if (tapegrad::from_bytes(again).size() != parsed.size()) __builtin_trap();
    return 0;
}
