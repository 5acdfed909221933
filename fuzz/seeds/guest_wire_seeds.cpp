// Seeds of fuzz/guest_wire.cpp: device responses, events and a used ring.
#include "seed_writer.hpp"

#include "vdmabuf_wire.h"

#include <vdmabuf/virtio/split_ring.hpp>

namespace vdmabuf::seeds {

void guest_wire_seeds() {
    const std::string t = "guest_wire";
    vdmabuf_resp_hello h{};
    h.hdr = {VDMABUF_RESP_OK_HELLO, 0, 7};
    h.magic = VDMABUF_MAGIC;
    h.version = VDMABUF_VERSION;
    h.guest = 3;
    h.max_buffers = 64;
    h.key = 0x55;
    h.max_extents = VDMABUF_MAX_EXTENTS;
    h.max_damage = VDMABUF_MAX_DAMAGE;
    h.max_outputs = VDMABUF_MAX_OUTPUTS;
    write_seed(t, "resp-hello", Out().u8(0).u32(VDMABUF_CMD_HELLO).u64(7).u8(1).bytes(raw(h)).b);
    vdmabuf_resp r{};
    r.hdr = {VDMABUF_RESP_ERR_INVALID_ID, 0, 9};
    r.request = VDMABUF_CMD_PRESENT;
    r.detail = 16;
    write_seed(t, "resp-error", Out().u8(0).u32(VDMABUF_CMD_PRESENT).u64(9).u8(1).bytes(raw(r)).b);
    r.hdr = {VDMABUF_RESP_OK, 0, 9};
    write_seed(t, "resp-ok-raw", Out().u8(0).u32(VDMABUF_CMD_EXPORT).u64(1).u8(0).bytes(raw(r)).b);

    vdmabuf_evt_release rel{};
    rel.hdr = {VDMABUF_EVT_RELEASE, 0, 0};
    rel.id = {3, 1, 0x55};
    rel.sequence = 4;
    write_seed(t, "evt-release", Out().u8(1).u32(3).u64(0x55).bytes(raw(rel)).b);
    vdmabuf_evt_refresh ref{};
    ref.hdr = {VDMABUF_EVT_REFRESH, 0, 0};
    ref.output = VDMABUF_OUTPUT_ALL;
    write_seed(t, "evt-refresh", Out().u8(1).u32(3).u64(0x55).bytes(raw(ref)).b);
    vdmabuf_evt_input in{};
    in.hdr = {VDMABUF_EVT_INPUT, 0, 0};
    write_seed(t, "evt-input", Out().u8(1).u32(3).u64(0x55).bytes(raw(in)).b);
    vdmabuf_evt_keymap km{};
    km.hdr = {VDMABUF_EVT_KEYMAP, 0, 0};
    write_seed(t, "evt-keymap", Out().u8(1).u32(3).u64(0x55).bytes(raw(km)).b);
    vdmabuf_evt_mode mode{};
    mode.hdr = {VDMABUF_EVT_MODE, 0, 0};
    write_seed(t, "evt-mode", Out().u8(1).u32(3).u64(0x55).bytes(raw(mode)).b);
    vdmabuf_evt_hotplug hp{};
    hp.hdr = {VDMABUF_EVT_HOTPLUG, 0, 0};
    write_seed(t, "evt-hotplug", Out().u8(1).u32(3).u64(0x55).bytes(raw(hp)).b);

    // Used ring: three chains, the device returns 2, 1 and a bogus id.
    Out u;
    u.u8(2).u8(1).u8(3);
    u.u8(1).u16(63).u8(2).u16(4095).u8(0).u16(0);
    Bytes used(virtio::used_size(16, true));
    const uint16_t idx = 3;
    std::memcpy(used.data() + virtio::kUsedIdxOffset, &idx, 2);
    const virtio::VringUsedElem elems[] = {{2, 100}, {0, 64}, {9, 1}};
    std::memcpy(used.data() + virtio::kUsedRingOffset, elems, sizeof elems);
    u.bytes(used).u8(8);
    write_seed(t, "used-ring", u.b);
}

} // namespace vdmabuf::seeds
