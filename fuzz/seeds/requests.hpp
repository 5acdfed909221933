// Guest requests (vdmabuf_wire.h) for the daemon_ctrl and vhost_user seeds.
#pragma once

#include "seed_writer.hpp"

#include "vdmabuf_wire.h"

namespace vdmabuf::seeds {

constexpr uint64_t kKeyPlaceholder = 0x21594b4521594b45; // as in daemon_ctrl.cpp
constexpr uint32_t kGuestPlaceholder = 0x21545347;
constexpr uint64_t kRigGpa = 0x1'0000'0000; // guest RAM of fuzz/support/daemon_rig

vdmabuf_cmd_hello hello_cmd(const char* name = "guest0");
// A 64x64 XRGB8888 buffer in `n` extents of 4 KiB pages starting at gpa.
Bytes export_cmd(uint32_t counter, uint64_t gpa, uint32_t n = 4, uint32_t key_guest = 1);
Bytes present_cmd(uint32_t counter, uint64_t seq, uint32_t output = 0, uint32_t n_damage = 0);
Bytes unexport_cmd(uint32_t counter);
Bytes output_cmd(uint32_t output, uint32_t flags);
Bytes cursor_set_cmd(uint32_t w, uint32_t h);
Bytes cursor_move_cmd(int32_t x, int32_t y);

} // namespace vdmabuf::seeds
