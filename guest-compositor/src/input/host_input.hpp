// The host window's input (INPUT and KEYMAP events, device spec §8.3-§8.4) into
// the seat. Every value is checked first (input_check.hpp): the output must exist
// and a position lie inside it; anything else is dropped and logged, never
// clamped. Events are applied in arrival order.
#pragma once

#include <vdmabuf/frontend/device.hpp>

#include <cstdint>
#include <string_view>

namespace vdmabuf::compositor {

class Server;

class HostInput {
public:
    explicit HostInput(Server& server) : server_(server) {}

    void handle(const frontend::InputEvent& event);
    void handle_keymap(std::string_view layout, std::string_view variant);

    [[nodiscard]] uint64_t dropped() const { return dropped_; }

private:
    void drop(const frontend::InputEvent& event, const char* why);

    Server& server_;
    uint64_t dropped_ = 0;
};

} // namespace vdmabuf::compositor
