// Seeds of fuzz/consumer_client.cpp: daemon packets to a consumer.
#include "seed_writer.hpp"

#include "vdmabuf_consumer.h"

#include <drm_fourcc.h>

namespace vdmabuf::seeds {

void consumer_client_seeds() {
    const std::string t = "consumer_client";
    auto welcome = with_hdr<vdmabuf_c_welcome>(VDMABUF_C_WELCOME, 1);
    welcome.magic = VDMABUF_CONSUMER_MAGIC;
    welcome.version = VDMABUF_CONSUMER_VERSION;
    welcome.consumer = 1;
    welcome.import_mode = VDMABUF_IMPORT_MEMFD;
    auto guest = with_hdr<vdmabuf_c_guest>(VDMABUF_C_GUEST_NEW, 0);
    guest.guest = 1;
    std::memcpy(guest.name, "guest0", 6);
    auto buffer = with_hdr<vdmabuf_c_buffer_new>(VDMABUF_C_BUFFER_NEW, 0);
    buffer.id = {1, 1, 1};
    buffer.fourcc = DRM_FORMAT_XRGB8888;
    buffer.width = buffer.height = 64;
    buffer.n_planes = 1;
    buffer.planes[0] = {0, 256};
    buffer.size = 16384;
    auto present = with_hdr<vdmabuf_c_present>(VDMABUF_C_PRESENT, 0);
    present.id = {1, 1, 1};
    present.sequence = 1;
    present.n_damage = 1;
    present.damage[0] = {0, 0, 8, 8};
    auto gone = with_hdr<vdmabuf_c_buffer_gone>(VDMABUF_C_BUFFER_GONE, 0);
    gone.id = {1, 1, 1};
    auto guest_gone = guest;
    guest_gone.hdr.type = VDMABUF_C_GUEST_GONE;
    auto error = with_hdr<vdmabuf_c_error>(VDMABUF_C_ERROR, 99);
    error.request = VDMABUF_C_RELEASE;
    error.code = VDMABUF_C_ERR_NOT_HELD;

    auto reply = with_hdr<vdmabuf_c_import_reply>(VDMABUF_C_IMPORT_REPLY, 2);
    reply.id = {1, 1, 1};
    reply.mode = VDMABUF_IMPORT_MEMFD;
    reply.n_fds = 2;
    reply.size = 16384;
    reply.n_extents = 2;
    const vdmabuf_c_import_extent ext[] = {{0, 0, 0, 8192}, {1, 0, 4096, 8192}};
    Bytes import = raw(reply);
    const Bytes eb = raw(ext);
    import.insert(import.end(), eb.begin(), eb.end());
    import.resize(sizeof reply + sizeof ext);
    {
        auto* h = reinterpret_cast<vdmabuf_c_hdr*>(import.data());
        h->size = static_cast<uint32_t>(import.size());
    }
    const char text[] = "guests 1\n";
    auto stats = with_hdr<vdmabuf_c_stats_reply>(VDMABUF_C_STATS_REPLY, 3);
    stats.format = VDMABUF_C_STATS_TEXT;
    stats.length = sizeof text - 1;
    stats.hdr.size = static_cast<uint32_t>(sizeof stats + stats.length);
    Bytes stats_pkt = raw(stats);
    stats_pkt.insert(stats_pkt.end(), text, text + stats.length);

    auto out = with_hdr<vdmabuf_c_output>(VDMABUF_C_OUTPUT, 0);
    out.guest = 1;
    out.flags = VDMABUF_OUTPUT_CONNECTED;
    out.width = 1920;
    out.height = 1080;

    Out o;
    o.u8(1 | 2 | 8);
    o.u8(0).record(&welcome, sizeof welcome);
    o.u8(2).record(import);
    o.u8(0).record(stats_pkt);
    o.u8(0).record(&guest, sizeof guest);
    o.u8(0).record(&buffer, sizeof buffer);
    o.u8(0).record(&present, sizeof present);
    o.u8(0).record(&out, sizeof out);
    o.u8(0).record(&error, sizeof error);
    o.u8(0).record(&gone, sizeof gone);
    o.u8(0).record(&guest_gone, sizeof guest_gone);
    write_seed(t, "session", o.b);

    Out closed;
    closed.u8(4);
    closed.u8(0).record(&welcome, sizeof welcome);
    closed.u8(1).record(&present, sizeof present); // an fd where none belongs
    present.n_damage = 40;
    closed.u8(0).record(&present, sizeof present);
    closed.u8(0).record(&buffer, 20);
    write_seed(t, "malformed-then-gone", closed.b);

    Out err;
    err.u8(1);
    err.u8(0).record(&welcome, sizeof welcome);
    error.hdr.tag = 2;
    error.request = VDMABUF_C_IMPORT;
    error.code = VDMABUF_C_ERR_UNKNOWN_BUFFER;
    err.u8(0).record(&error, sizeof error);
    write_seed(t, "import-error", err.b);
}

} // namespace vdmabuf::seeds
