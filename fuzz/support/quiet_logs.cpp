#include "fuzz_input.hpp"

#include <vdmabuf/shared/log.hpp>

#include <cstdlib>

namespace vdmabuf::fuzz {

void quiet_logs() {
    if (std::getenv("VDMABUF_LOG"))
        log::init_from_env();
    else
        log::set_level(log::Level::silent);
}

} // namespace vdmabuf::fuzz
