// Seeds of fuzz/consumer_daemon.cpp: consumer packets to the daemon.
#include "seed_writer.hpp"

#include "vdmabuf_consumer.h"
#include "vdmabuf_wire.h"

namespace vdmabuf::seeds {

void consumer_daemon_seeds() {
    const std::string t = "consumer_daemon";
    auto hello = with_hdr<vdmabuf_c_hello>(VDMABUF_C_HELLO, 1);
    hello.magic = VDMABUF_CONSUMER_MAGIC;
    hello.version = VDMABUF_CONSUMER_VERSION;
    hello.role = VDMABUF_ROLE_VIEWER;
    hello.output = VDMABUF_CONSUMER_ANY;
    auto control = hello;
    control.role = VDMABUF_ROLE_CONTROL;
    auto import = with_hdr<vdmabuf_c_import>(VDMABUF_C_IMPORT, 2);
    import.id = {1, 2, 0x1234abcd5678ef01};
    auto release = with_hdr<vdmabuf_c_release>(VDMABUF_C_RELEASE, 3);
    release.id = {1, 1, 0x1234abcd5678ef01};
    release.sequence = 1;
    auto stats = with_hdr<vdmabuf_c_stats>(VDMABUF_C_STATS, 4);
    stats.format = VDMABUF_C_STATS_JSON;
    stats.what = VDMABUF_C_WHAT_LIST;
    auto event = with_hdr<vdmabuf_c_guest_event>(VDMABUF_C_GUEST_EVENT, 5);
    event.guest = 1;
    vdmabuf_evt_mode mode{};
    mode.hdr = {VDMABUF_EVT_MODE, 0, 0};
    std::memcpy(event.event, &mode, sizeof mode);

    auto packet = [](unsigned consumer, unsigned nfds = 0) {
        return static_cast<uint8_t>(0 | (consumer << 2) | (nfds << 4));
    };
    const uint8_t present1 = 1 | (1 << 2), present1_out2 = 1 | (1 << 2) | (2 << 4);
    Out o;
    o.u8(packet(0)).record(&hello, sizeof hello);
    o.u8(packet(1)).record(&control, sizeof control);
    o.u8(present1).u8(present1_out2);
    o.u8(packet(0)).record(&import, sizeof import);
    o.u8(packet(0)).record(&release, sizeof release);
    o.u8(packet(1)).record(&stats, sizeof stats);
    stats.what = VDMABUF_C_WHAT_STATS;
    stats.format = VDMABUF_C_STATS_TEXT;
    o.u8(packet(0)).record(&stats, sizeof stats);
    o.u8(packet(0)).record(&event, sizeof event);
    o.u8(2 | (3 << 2));      // unexport buffer 3
    o.u8(3 | 16);            // timeout sweep
    o.u8(3 | (0 << 2));      // consumer 0 hangs up
    write_seed(t, "viewer-control", o.b);

    Out bad;
    bad.u8(packet(0)).record(&release, sizeof release);                 // before HELLO
    bad.u8(packet(0, 2)).record(&hello, sizeof hello);                  // with fds
    bad.u8(packet(0)).record(&import, 12);                              // truncated
    hello.version = 99;
    bad.u8(packet(2)).record(&hello, sizeof hello);
    write_seed(t, "malformed", bad.b);
}

} // namespace vdmabuf::seeds
