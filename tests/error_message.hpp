// The tests' way to read an Error: the message f raises, or "(no error)".
#pragma once

#include <string>

#include <tapegrad/error.hpp>

namespace tapegrad::test {

std::string message_of(auto&& f) {
    try {
        f();
    } catch (const tapegrad::Error& e) {
        return e.what();
    }
    return "(no error)";
}

inline bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

}  // namespace tapegrad::test
