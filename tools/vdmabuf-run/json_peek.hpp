// Just enough JSON reading for the stats documents of vdmabufd and
// vdmabuf-viewer, whose shapes we know: values found by a path of keys, each
// key searched after the previous one.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vdmabuf::run {

std::optional<double> json_number(std::string_view json, std::initializer_list<std::string_view> keys);
std::optional<std::string> json_string(std::string_view json, std::initializer_list<std::string_view> keys);
// A flat array of numbers.
std::optional<std::vector<double>> json_numbers(std::string_view json,
                                                std::initializer_list<std::string_view> keys);

} // namespace vdmabuf::run
