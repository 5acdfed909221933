#define VDM_LOG_SCOPE "wayland"
#include "present/wayland_keyboard.hpp"

#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

#include <vdmabuf_wire.h>

#include <algorithm>
#include <sys/mman.h>
#include <unistd.h>

namespace vdmabuf::viewer {

const wl_seat_listener WaylandKeyboard::seat_listener_ = {
    .capabilities = on_capabilities,
    .name = on_seat_name,
};

const wl_keyboard_listener WaylandKeyboard::keyboard_listener_ = {
    .keymap = on_keymap,
    .enter = on_enter,
    .leave = on_leave,
    .key = on_key,
    .modifiers = on_modifiers,
    .repeat_info = on_repeat_info,
};

WaylandKeyboard::WaylandKeyboard(std::vector<WindowInput>* queue, WaylandPointer* pointer)
    : xkb_(xkb_context_new(XKB_CONTEXT_NO_FLAGS)), queue_(queue), pointer_(pointer) {}

void WaylandKeyboard::bind_seat(wl_registry* registry, uint32_t name, uint32_t version) {
    if (seat_)
        return;
    seat_version_ = std::min<uint32_t>(version, 5);
    seat_.reset(static_cast<wl_seat*>(
        wl_registry_bind(registry, name, &wl_seat_interface, seat_version_)));
    wl_seat_add_listener(seat_.get(), &seat_listener_, this);
}

void WaylandKeyboard::on_capabilities(void* data, wl_seat* seat, uint32_t caps) {
    auto* self = static_cast<WaylandKeyboard*>(data);
    bool has = caps & WL_SEAT_CAPABILITY_KEYBOARD;
    if (has && !self->keyboard_) {
        self->keyboard_.reset(wl_seat_get_keyboard(seat));
        wl_keyboard_add_listener(self->keyboard_.get(), &keyboard_listener_, self);
    } else if (!has) {
        self->keyboard_.reset();
    }
    bool pointer = caps & WL_SEAT_CAPABILITY_POINTER;
    if (pointer != self->has_pointer_) {
        self->has_pointer_ = pointer;
        self->pointer_->attach(pointer ? wl_seat_get_pointer(seat) : nullptr, self->seat_version_);
    }
}

void WaylandKeyboard::on_keymap(void* data, wl_keyboard*, uint32_t format, int32_t fd,
                                uint32_t size) {
    auto* self = static_cast<WaylandKeyboard*>(data);
    UniqueFd owned(fd); // ours to close, whatever happens below
    if (format != WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1 || !self->xkb_)
        return;
    // MAP_PRIVATE: the compositor may hand the same read-only fd to everyone.
    void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        VDM_ERRNO("mmap(keymap, %u)", size);
        return;
    }
    self->state_.reset();
    self->keymap_.reset(xkb_keymap_new_from_string(self->xkb_.get(), static_cast<const char*>(map),
                                                   XKB_KEYMAP_FORMAT_TEXT_V1,
                                                   XKB_KEYMAP_COMPILE_NO_FLAGS));
    munmap(map, size);
    if (self->keymap_)
        self->state_.reset(xkb_state_new(self->keymap_.get()));
}

void WaylandKeyboard::on_key(void* data, wl_keyboard*, uint32_t, uint32_t, uint32_t key,
                             uint32_t state) {
    auto* self = static_cast<WaylandKeyboard*>(data);
    const bool pressed = state == WL_KEYBOARD_KEY_STATE_PRESSED;
    if (!pressed && self->shortcut_keys_.erase(key))
        return;
    xkb_state* st = self->state_.get();
    if (pressed && st &&
        xkb_state_mod_name_is_active(st, XKB_MOD_NAME_CTRL, XKB_STATE_MODS_EFFECTIVE) > 0 &&
        xkb_state_mod_name_is_active(st, XKB_MOD_NAME_ALT, XKB_STATE_MODS_EFFECTIVE) > 0) {
        bool ours = true;
        // evdev codes are xkb keycodes minus 8.
        switch (xkb_keysym_to_lower(xkb_state_key_get_one_sym(st, key + 8))) {
        case XKB_KEY_f: self->fullscreen_ = true; break;
        case XKB_KEY_g: self->grab_ = true; break;
        case XKB_KEY_s: self->screenshot_ = true; break;
        case XKB_KEY_h: self->hud_ = true; break;
        default: ours = false; break;
        }
        if (ours) {
            self->shortcut_keys_.insert(key);
            return;
        }
    }
    self->queue_->push_back({VDMABUF_INPUT_KEY, key, pressed ? 1u : 0u});
}

void WaylandKeyboard::on_leave(void* data, wl_keyboard*, uint32_t, wl_surface*) {
    // Focus went elsewhere: the guest must not keep our keys pressed.
    auto* self = static_cast<WaylandKeyboard*>(data);
    self->shortcut_keys_.clear();
    self->queue_->push_back({VDMABUF_INPUT_LEAVE});
}

void WaylandKeyboard::on_modifiers(void* data, wl_keyboard*, uint32_t, uint32_t depressed,
                                   uint32_t latched, uint32_t locked, uint32_t group) {
    auto* self = static_cast<WaylandKeyboard*>(data);
    if (self->state_)
        xkb_state_update_mask(self->state_.get(), depressed, latched, locked, 0, 0, group);
}

} // namespace vdmabuf::viewer
