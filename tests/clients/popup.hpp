// An xdg_popup of a ClientWindow's toplevel, for the render tests: no grab,
// w x h at (x, y) of the parent's window geometry, one ARGB8888 buffer whose
// top half is opaque (and the surface's opaque region) and bottom half at
// alpha 0x80 (premultiplied). Its top-left pixel is pattern::kLocatorMagic, so
// a reader counting locators counts the popup too.
#pragma once

#include <cstdint>
#include <memory>

#include "client_window.hpp"
#include "shm_buffer.hpp"

namespace vdmabuf::testclient {

class Popup {
public:
    // nullptr (logged) if the buffer cannot be made.
    [[nodiscard]] static std::unique_ptr<Popup> create(ClientWindow& parent, int32_t x, int32_t y,
                                                       uint32_t width, uint32_t height);
    ~Popup();
    Popup(const Popup&) = delete;
    Popup& operator=(const Popup&) = delete;

    static void configure(void* data, xdg_surface* surface, uint32_t serial);
    static void popup_configure(void*, xdg_popup*, int32_t, int32_t, int32_t, int32_t) {}
    static void popup_done(void* data, xdg_popup*);

private:
    Popup() = default;
    void draw();

    uint32_t width_ = 0, height_ = 0;
    std::unique_ptr<ShmBuffer> buffer_;
    wl_surface* surface_ = nullptr;
    xdg_surface* xdg_surface_ = nullptr;
    xdg_popup* popup_ = nullptr;
    bool shown_ = false;
};

} // namespace vdmabuf::testclient
