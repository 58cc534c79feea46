// The tests' way to read an Error: the message f raises, or "(no error)"; and check_error, which
// expects one whose message holds given parts.
#pragma once

#include <initializer_list>
#include <string>

#include <doctest/doctest.h>

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

// Runs f, expects tapegrad::Error whose message contains every one of `parts`.
void check_error(auto&& f, std::initializer_list<const char*> parts) {
    const std::string msg = message_of(f);
    INFO("message: " << msg);
    REQUIRE(msg != "(no error)");
    for (const char* part : parts) CHECK(contains(msg, part));
}

}  // namespace tapegrad::test
