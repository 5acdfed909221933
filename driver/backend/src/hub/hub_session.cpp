// HubCore: the interactive session. Guest -> viewers: OUTPUT, CURSOR_IMAGE and
// CURSOR_MOVE, remembered per guest so a late viewer gets the current state after
// WELCOME. Consumers -> guest: GUEST_EVENT, validated here, queued on the guest's
// eventq (consumer spec §8, device spec §8.3-§8.7).
#define VDM_LOG_SCOPE "hub"
#include "hub/hub_core.hpp"

#include <cstring>

#include <vdmabuf/shared/device_event.hpp>
#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/time.hpp>

namespace vdmabuf::backend {

namespace {

// Bytes of the device event of `type` inside GUEST_EVENT; 0 for other types.
size_t event_size(uint32_t type) {
    switch (type) {
    case VDMABUF_EVT_INPUT: return sizeof(vdmabuf_evt_input);
    case VDMABUF_EVT_KEYMAP: return sizeof(vdmabuf_evt_keymap);
    case VDMABUF_EVT_MODE: return sizeof(vdmabuf_evt_mode);
    case VDMABUF_EVT_HOTPLUG: return sizeof(vdmabuf_evt_hotplug);
    default: return 0;
    }
}

// Index into HubCounters::guest_events.
unsigned event_slot(uint32_t type) {
    switch (type) {
    case VDMABUF_EVT_INPUT: return 0;
    case VDMABUF_EVT_KEYMAP: return 1;
    case VDMABUF_EVT_MODE: return 2;
    default: return 3;
    }
}

} // namespace

void HubCore::send_output(ConsumerConnection& c, uint32_t guest, const GuestOutput& o) {
    vdmabuf_c_output m{};
    m.hdr.type = VDMABUF_C_OUTPUT;
    m.hdr.size = sizeof(m);
    m.guest = guest;
    m.output = o.output;
    m.flags = o.flags;
    m.width = o.width;
    m.height = o.height;
    m.refresh_mhz = o.refresh_mhz;
    std::memcpy(m.name, o.name.data(), sizeof(m.name));
    c.send(&m, sizeof(m));
}

void HubCore::send_cursor_image(ConsumerConnection& c, uint32_t guest, uint32_t output,
                                const CursorImageRef& image) {
    vdmabuf_c_cursor_image m{};
    const size_t bytes = size_t{image.width} * image.height * 4;
    m.hdr.type = VDMABUF_C_CURSOR_IMAGE;
    m.hdr.size = static_cast<uint32_t>(sizeof(m) + bytes);
    m.guest = guest;
    m.output = output;
    m.width = image.width;
    m.height = image.height;
    m.hotspot_x = image.hotspot_x;
    m.hotspot_y = image.hotspot_y;
    cursor_packet_.resize(m.hdr.size); // within the reserved capacity
    std::memcpy(cursor_packet_.data(), &m, sizeof(m));
    if (bytes)
        std::memcpy(cursor_packet_.data() + sizeof(m), image.pixels, bytes);
    c.send(cursor_packet_.data(), cursor_packet_.size());
}

void HubCore::replay_session(ConsumerConnection& c, const GuestEntry& e) {
    const GuestPort& g = *e.port;
    for (const GuestOutput& o : e.screens)
        if (o.flags && c.watches(g.name(), o.output))
            send_output(c, g.id(), o);
    for (uint32_t i = 0; i < VDMABUF_MAX_OUTPUTS; ++i) {
        const Cursor& cur = e.cursors[i];
        if (!c.watches(g.name(), i))
            continue;
        if (cur.image_set)
            send_cursor_image(c, g.id(), i,
                              {i, cur.width, cur.height, cur.hotspot_x, cur.hotspot_y,
                               cur.pixels.data()});
        if (cur.moved)
            (void)c.push_cursor_move(g.id(), i, cur.x, cur.y, cur.visible);
    }
}

void HubCore::output_changed(GuestPort& guest, const GuestOutput& output) {
    GuestEntry* e = find_guest(guest.id());
    if (!e || output.output >= VDMABUF_MAX_OUTPUTS)
        return;
    ++counters_.outputs;
    e->screens[output.output] = output;
    if (!output.flags)
        e->cursors[output.output] = Cursor{}; // a new output starts without a cursor
    VDM_INFO("guest %u \"%s\": output %u %s %ux%u", guest.id(), guest.name().c_str(),
             output.output, output.flags ? "connected" : "gone", output.width, output.height);
    for_each_viewer([&](ConsumerConnection& c) {
        if (c.watches(guest.name(), output.output))
            send_output(c, guest.id(), output);
    });
}

void HubCore::cursor_image(GuestPort& guest, const CursorImageRef& image) {
    GuestEntry* e = find_guest(guest.id());
    if (!e || image.output >= VDMABUF_MAX_OUTPUTS)
        return;
    ++counters_.cursor_images;
    Cursor& cur = e->cursors[image.output];
    cur.image_set = true;
    cur.width = image.width;
    cur.height = image.height;
    cur.hotspot_x = image.hotspot_x;
    cur.hotspot_y = image.hotspot_y;
    cur.pixels.assign(image.pixels, image.pixels + size_t{image.width} * image.height * 4);
    for_each_viewer([&](ConsumerConnection& c) {
        if (c.watches(guest.name(), image.output))
            send_cursor_image(c, guest.id(), image.output, image);
    });
}

void HubCore::cursor_moved(GuestPort& guest, const CursorPosition& position) {
    GuestEntry* e = find_guest(guest.id());
    if (!e || position.output >= VDMABUF_MAX_OUTPUTS)
        return;
    ++counters_.cursor_moves;
    Cursor& cur = e->cursors[position.output];
    cur.moved = true;
    cur.x = position.x;
    cur.y = position.y;
    cur.visible = position.visible;
    for_each_viewer([&](ConsumerConnection& c) {
        if (c.watches(guest.name(), position.output) &&
            c.push_cursor_move(guest.id(), position.output, position.x, position.y,
                               position.visible))
            ++counters_.cursor_moves_coalesced;
    });
}

void HubCore::on_guest_event(ConsumerConnection& c, uint64_t tag, uint32_t guest,
                             const uint8_t* event) {
    auto refuse = [&](uint32_t code, const char* why) {
        VDM_DEBUG("consumer %u: GUEST_EVENT for guest %u refused: %s", c.id(), guest, why);
        c.send_error(tag, VDMABUF_C_GUEST_EVENT, code);
    };
    uint8_t bytes[VDMABUF_EVENT_SIZE];
    std::memcpy(bytes, event, sizeof(bytes));
    vdmabuf_hdr hdr;
    std::memcpy(&hdr, bytes, sizeof(hdr));
    const size_t size = event_size(hdr.type);
    if (size == 0)
        return refuse(VDMABUF_C_ERR_MALFORMED, "not an INPUT, KEYMAP, MODE or HOTPLUG event");
    const bool viewer_only = hdr.type == VDMABUF_EVT_INPUT || hdr.type == VDMABUF_EVT_KEYMAP;
    if (viewer_only && c.role() != VDMABUF_ROLE_VIEWER)
        return refuse(VDMABUF_C_ERR_ROLE, "INPUT and KEYMAP come from viewers only");
    for (size_t i = size; i < sizeof(bytes); ++i)
        if (bytes[i] != 0)
            return refuse(VDMABUF_C_ERR_MALFORMED, "bytes after the event are not zero");
    hdr.tag = 0; // the daemon's, not the consumer's
    std::memcpy(bytes, &hdr, sizeof(hdr));
    if (const EventCheck check = check_interactive_event(bytes, size, VDMABUF_MAX_OUTPUTS);
        !check.ok())
        return refuse(VDMABUF_C_ERR_MALFORMED, check.why);
    GuestEntry* e = find_guest(guest);
    if (!e || !c.watches_guest(e->port->name()))
        return refuse(VDMABUF_C_ERR_UNKNOWN_GUEST, "no such guest (or filtered out)");
    if (!(e->port->features() & (1ull << event_feature(hdr.type))))
        return refuse(VDMABUF_C_ERR_UNSUPPORTED, "the guest did not negotiate the feature");
    if (hdr.type == VDMABUF_EVT_MODE && (e->port->features() & (1ull << VDMABUF_F_HOTPLUG))) {
        vdmabuf_evt_mode mode;
        std::memcpy(&mode, bytes, sizeof(mode));
        // In range: check_interactive_event bounds output by VDMABUF_MAX_OUTPUTS.
        if (!(e->screens[mode.output].flags & VDMABUF_OUTPUT_CONNECTED))
            return refuse(VDMABUF_C_ERR_UNKNOWN_OUTPUT, "MODE for an output not connected");
    }

    ++counters_.guest_events[event_slot(hdr.type)];
    if (hdr.type == VDMABUF_EVT_INPUT) {
        vdmabuf_evt_input in;
        std::memcpy(&in, bytes, sizeof(in));
        const SlotMask bit = slot_bit(c.slot());
        if (in.kind == VDMABUF_INPUT_LEAVE) {
            e->input_from &= ~bit;
        } else {
            e->input_from |= bit;
            e->input_output[c.slot()] = static_cast<uint8_t>(in.output);
        }
    }
    e->port->queue_event(bytes, size);
}

void HubCore::leave_inputs(unsigned slot) {
    const SlotMask bit = slot_bit(slot);
    for (auto& [id, e] : guests_) {
        if (!(e.input_from & bit))
            continue;
        e.input_from &= ~bit;
        if (!(e.port->features() & (1ull << VDMABUF_F_INPUT)))
            continue;
        // Nothing the viewer held down may stay pressed in the guest (§8.3 LEAVE).
        vdmabuf_evt_input leave{};
        leave.hdr.type = VDMABUF_EVT_INPUT;
        leave.output = e.input_output[slot];
        leave.kind = VDMABUF_INPUT_LEAVE;
        leave.time_ns = now_ns();
        ++counters_.leaves_sent;
        VDM_DEBUG("guest %u: INPUT LEAVE for a viewer that disconnected", id);
        e.port->queue_event(&leave, sizeof(leave));
    }
}

} // namespace vdmabuf::backend
