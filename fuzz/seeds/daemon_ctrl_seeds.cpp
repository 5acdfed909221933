// Seeds of fuzz/daemon_ctrl.cpp: guest request programs on the daemon rig.
#include "requests.hpp"

namespace vdmabuf::seeds {

namespace {

// daemon_ctrl: flags, then ops.
struct CtrlProgram {
    Out o;
    explicit CtrlProgram(uint8_t flags) { o.u8(flags); }
    CtrlProgram& req(const Bytes& b, uint8_t shape = 0) {
        o.u8(0).u8(shape).record(b);
        return *this;
    }
    CtrlProgram& events(uint8_t n) {
        o.u8(static_cast<uint8_t>(1 | ((n - 1) << 2)));
        return *this;
    }
    CtrlProgram& release() {
        o.u8(2);
        return *this;
    }
    CtrlProgram& mem_table() {
        o.u8(3);
        return *this;
    }
};

constexpr uint64_t kBufferArea = kRigGpa + 160 * 1024; // past rings, request and event areas

} // namespace

void daemon_ctrl_seeds() {
    const std::string t = "daemon_ctrl";
    write_seed(t, "hello", CtrlProgram(0).req(raw(hello_cmd())).o.b);
    write_seed(t, "hello-twice", CtrlProgram(1).req(raw(hello_cmd("again"))).o.b);
    write_seed(t, "export-present-release",
               CtrlProgram(3)
                   .events(4)
                   .req(export_cmd(1, kBufferArea))
                   .req(present_cmd(1, 1))
                   .release()
                   .req(present_cmd(1, 2, 0, 2))
                   .req(unexport_cmd(1))
                   .o.b);
    write_seed(t, "two-buffers-unexport-presented",
               CtrlProgram(1)
                   .events(8)
                   .req(export_cmd(1, kBufferArea, 1))
                   .req(export_cmd(2, kBufferArea + 16384, 2), 1)
                   .req(present_cmd(2, 5, 3))
                   .req(unexport_cmd(2))
                   .req(present_cmd(1, 4, 3)) // stale sequence
                   .mem_table()
                   .req(export_cmd(1, kBufferArea, 1))
                   .o.b);
    write_seed(t, "export-overlap-ring", CtrlProgram(1).req(export_cmd(1, kRigGpa, 1)).o.b);
    Bytes short_export = export_cmd(1, kBufferArea);
    short_export.resize(40);
    write_seed(t, "export-short", CtrlProgram(1).req(short_export).o.b);
    write_seed(t, "split-small-response",
               CtrlProgram(1).req(export_cmd(3, kBufferArea, 4), 3 | (2 << 2)).req(present_cmd(3, 1), 2).o.b);
    write_seed(t, "not-ready", CtrlProgram(0).req(present_cmd(1, 1)).o.b);
    write_seed(t, "output-cursor",
               CtrlProgram(1)
                   .events(4)
                   .req(output_cmd(0, VDMABUF_OUTPUT_CONNECTED))
                   .req(cursor_set_cmd(16, 16))
                   .req(cursor_move_cmd(-5, 100))
                   .req(cursor_set_cmd(0, 0))
                   .req(output_cmd(0, 0))
                   .o.b);
}

} // namespace vdmabuf::seeds
