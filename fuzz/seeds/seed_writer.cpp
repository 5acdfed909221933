#include "seed_writer.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace vdmabuf::seeds {

namespace {
std::string g_root;
} // namespace

void set_corpus_root(std::string root) {
    g_root = std::move(root);
}

const std::string& corpus_root() {
    return g_root;
}

void write_seed(const std::string& target, const std::string& name, const Bytes& bytes) {
    const std::string dir = g_root + "/" + target;
    std::filesystem::create_directories(dir);
    const std::string path = dir + "/" + name;
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fclose(f) != 0) {
        std::fprintf(stderr, "make-corpus: cannot write %s\n", path.c_str());
        std::exit(1);
    }
}

} // namespace vdmabuf::seeds
