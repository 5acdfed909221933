// A vdmabuf-input-client (tests/clients/input_client.cpp) run against a
// CompositorFixture's compositor, with every line it printed kept in order.
#pragma once

#include "fixture.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vdmabuf::compositor_test {

// $VDMABUF_INPUT_CLIENT if set, else tests/clients/vdmabuf-input-client.
[[nodiscard]] std::string input_client_path();

class InputClient {
public:
    // Starts the client with `args` and waits for its "ready" line.
    [[nodiscard]] static std::unique_ptr<InputClient> start(CompositorFixture& f,
                                                            const std::vector<std::string>& args,
                                                            int timeout_ms = 20000);

    std::vector<std::string> lines; // everything printed so far

    // Reads the lines that have arrived.
    void poll();
    // The number of lines so far (a mark for wait_for's `from`).
    [[nodiscard]] size_t mark() {
        poll();
        return lines.size();
    }
    // Pumps the fixture until a line at or after `from` satisfies pred; its index.
    std::optional<size_t> wait_for(CompositorFixture& f,
                                   const std::function<bool(const std::string&)>& pred,
                                   int timeout_ms, size_t from = 0);
    bool wait_for_line(CompositorFixture& f, const std::string& line, int timeout_ms,
                       size_t from = 0) {
        return wait_for(f, [&](const std::string& l) { return l == line; }, timeout_ms, from)
            .has_value();
    }
    // Lines from `from` on that start with `prefix`.
    [[nodiscard]] std::vector<std::string> since(size_t from, const std::string& prefix = "");
    // Every line so far (read first), for failure messages.
    [[nodiscard]] std::string dump();

private:
    ChildProcess process_;
};

} // namespace vdmabuf::compositor_test
