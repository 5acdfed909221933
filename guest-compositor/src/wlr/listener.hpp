// RAII wl_listener (style-anchors §11.5): non-copyable and non-movable, because the
// list node's address is registered in the signal; disconnect() is idempotent; the
// thunk reaches the object through a standard-layout hook, so wl_container_of is
// well defined. Declare owning handles before listeners so listeners go first.
#pragma once

#include <wayland-server-core.h>

#include <functional>
#include <utility>

namespace vdmabuf::compositor {

template <typename T = void> class Listener {
public:
    using Fn = std::function<void(T*)>;

    Listener() noexcept {
        hook_.self = this;
        hook_.wl.notify = &thunk;
        wl_list_init(&hook_.wl.link);
    }
    Listener(wl_signal* signal, Fn fn) : Listener() { connect(signal, std::move(fn)); }
    ~Listener() { disconnect(); }
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    Listener(Listener&&) = delete;
    Listener& operator=(Listener&&) = delete;

    void connect(wl_signal* signal, Fn fn) {
        disconnect();
        fn_ = std::move(fn);
        wl_signal_add(signal, &hook_.wl);
    }
    void disconnect() noexcept {
        wl_list_remove(&hook_.wl.link);
        wl_list_init(&hook_.wl.link);
    }
    [[nodiscard]] bool connected() const noexcept { return !wl_list_empty(&hook_.wl.link); }

private:
    struct Hook {
        wl_listener wl;
        Listener* self;
    };
    static void thunk(wl_listener* listener, void* data) noexcept {
        Hook* hook = wl_container_of(listener, hook, wl);
        hook->self->fn_(static_cast<T*>(data));
    }

    Hook hook_{};
    Fn fn_;
};

} // namespace vdmabuf::compositor
