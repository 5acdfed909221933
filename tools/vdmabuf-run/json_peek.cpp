#include "json_peek.hpp"

#include <cstdlib>

namespace vdmabuf::run {
namespace {

// Position just after the ':' of the last key, or npos.
size_t find_value(std::string_view json, std::initializer_list<std::string_view> keys) {
    size_t pos = 0;
    for (std::string_view key : keys) {
        std::string quoted = "\"" + std::string(key) + "\"";
        pos = json.find(quoted, pos);
        if (pos == std::string_view::npos)
            return pos;
        pos += quoted.size();
    }
    while (pos < json.size() && (json[pos] == ' ' || json[pos] == ':'))
        ++pos;
    return pos < json.size() ? pos : std::string_view::npos;
}

std::optional<double> number_at(std::string_view json, size_t& pos) {
    std::string s(json.substr(pos, 32)); // strtod needs a terminator
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (end == s.c_str())
        return std::nullopt;
    pos += size_t(end - s.c_str());
    return v;
}

} // namespace

std::optional<double> json_number(std::string_view json, std::initializer_list<std::string_view> keys) {
    size_t pos = find_value(json, keys);
    if (pos == std::string_view::npos)
        return std::nullopt;
    return number_at(json, pos);
}

std::optional<std::string> json_string(std::string_view json, std::initializer_list<std::string_view> keys) {
    size_t pos = find_value(json, keys);
    if (pos == std::string_view::npos || json[pos] != '"')
        return std::nullopt;
    size_t end = json.find('"', pos + 1); // our values have no escapes
    if (end == std::string_view::npos)
        return std::nullopt;
    return std::string(json.substr(pos + 1, end - pos - 1));
}

std::optional<std::vector<double>> json_numbers(std::string_view json,
                                                std::initializer_list<std::string_view> keys) {
    size_t pos = find_value(json, keys);
    if (pos == std::string_view::npos || json[pos] != '[')
        return std::nullopt;
    std::vector<double> out;
    ++pos;
    while (pos < json.size()) {
        while (pos < json.size() && (json[pos] == ' ' || json[pos] == ','))
            ++pos;
        if (pos >= json.size())
            return std::nullopt;
        if (json[pos] == ']')
            return out;
        auto v = number_at(json, pos);
        if (!v)
            return std::nullopt;
        out.push_back(*v);
    }
    return std::nullopt;
}

} // namespace vdmabuf::run
