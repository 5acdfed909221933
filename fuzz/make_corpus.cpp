// Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/): small
// valid programs and near-valid variants, built from the real wire structs and
// the real DriverQueue so they follow the layouts the targets expect. Run by
// `scripts/fuzz --seeds`; the output is checked in. Crash reproducers kept as
// regression seeds live beside these (named crash-*) and are not rewritten.
// One generator per target in seeds/<target>_seeds.cpp.
#include "seeds/seed_writer.hpp"

#include <cstdio>

int main(int argc, char** argv) {
    using namespace vdmabuf::seeds;
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    set_corpus_root(argv[1]);
    virtqueue_seeds();
    vhost_user_seeds();
    daemon_ctrl_seeds();
    guest_wire_seeds();
    consumer_daemon_seeds();
    consumer_client_seeds();
    png_read_seeds();
    return 0;
}
