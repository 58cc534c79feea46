// libFuzzer target: the checkpoint reader must raise tapegrad::Error or succeed on any bytes,
// never crash or read outside them; what it accepts must survive a round trip.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <tapegrad/error.hpp>
#include <tapegrad/serialize.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    tapegrad::Checkpoint parsed;
    try {
        parsed = tapegrad::from_bytes(bytes);
    } catch (const tapegrad::Error&) {
        return 0;
    }
    if (tapegrad::to_bytes(parsed) != bytes) __builtin_trap();  // accepted bytes are canonical
    return 0;
}
