#include "input_client.hpp"

#include <cstdlib>

namespace vdmabuf::compositor_test {

std::string input_client_path() {
    const char* env = std::getenv("VDMABUF_INPUT_CLIENT");
    return env && *env ? env : VDMABUF_INPUT_CLIENT_PATH;
}

std::unique_ptr<InputClient> InputClient::start(CompositorFixture& f,
                                                const std::vector<std::string>& args,
                                                int timeout_ms) {
    std::vector<std::string> argv = f.client_env();
    argv.push_back(input_client_path());
    argv.insert(argv.end(), args.begin(), args.end());
    auto client = std::unique_ptr<InputClient>(new InputClient);
    client->process_ = ChildProcess::spawn(argv);
    if (!client->process_)
        return nullptr;
    const bool ready = client->wait_for(
        f, [](const std::string& l) { return l.rfind("ready ", 0) == 0; }, timeout_ms).has_value();
    return ready ? std::move(client) : nullptr;
}

void InputClient::poll() {
    std::string line;
    while (process_.read_line(line, 0))
        lines.push_back(line);
}

std::optional<size_t> InputClient::wait_for(CompositorFixture& f,
                                            const std::function<bool(const std::string&)>& pred,
                                            int timeout_ms, size_t from) {
    std::optional<size_t> found;
    size_t next = from;
    f.pump_until(
        [&] {
            poll();
            for (; next < lines.size(); ++next)
                if (pred(lines[next])) {
                    found = next;
                    return true;
                }
            return false;
        },
        timeout_ms);
    return found;
}

std::vector<std::string> InputClient::since(size_t from, const std::string& prefix) {
    poll();
    std::vector<std::string> out;
    for (size_t i = from; i < lines.size(); ++i)
        if (lines[i].rfind(prefix, 0) == 0)
            out.push_back(lines[i]);
    return out;
}

std::string InputClient::dump() {
    poll();
    std::string out;
    for (const auto& l : lines)
        out += "  | " + l + "\n";
    return out;
}

} // namespace vdmabuf::compositor_test
