// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/build/bmeta.h"

#include <charconv>
#include <sstream>

#include "report/json.h"

namespace kci::pipeline {

namespace {

std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  std::istringstream in{std::string(line)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::optional<std::uint64_t> to_u64(const std::string& s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<VmlinuxSizes> parse_size_output(std::string_view output) {
  std::size_t header = output.find("text");
  if (header == std::string_view::npos) return std::nullopt;
  std::size_t line_start = output.find('\n', header);
  if (line_start == std::string_view::npos) return std::nullopt;
  std::size_t line_end = output.find('\n', line_start + 1);
  std::vector<std::string> w = words(output.substr(
      line_start + 1,
      line_end == std::string_view::npos ? std::string_view::npos : line_end - line_start - 1));
  if (w.size() < 3) return std::nullopt;
  auto text = to_u64(w[0]);
  auto data = to_u64(w[1]);
  auto bss = to_u64(w[2]);
  if (!text || !data || !bss) return std::nullopt;
  return VmlinuxSizes{*text, *data, *bss};
}

std::optional<std::string> text_offset_from_system_map(std::string_view system_map) {
  std::istringstream in{std::string(system_map)};
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> w = words(line);
    if (w.size() == 3 && w[2] == "_text") return "0x" + w[0];
  }
  return std::nullopt;
}

std::string bmeta_json(const BuildMeta& m) {
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  auto put = [&](const char* key, const std::string& value) {
    if (!value.empty()) doc.AddMember(json::Value(key, a), json::Value(value, a), a);
  };
  auto put_number = [&](const char* key, std::uint64_t value) {
    doc.AddMember(json::Value(key, a), json::Value(value), a);
  };
  put("status", m.status);
  put("status_reason", m.status_reason);
  put("build_result", m.status);  // the legacy name of status
  doc.AddMember("build_time", m.build_time, a);
  put("build_environment", m.build_environment);
  if (m.build_threads > 0) doc.AddMember("build_threads", m.build_threads, a);
  put("start_time", m.start_time);
  put("arch", m.arch);
  put("compiler", m.compiler);
  put("compiler_version", m.compiler_version);
  put("compiler_version_full", m.compiler_version_full);
  put("cross_compile", m.cross_compile);
  doc.AddMember("use_ccache", m.use_ccache, a);
  put("defconfig", m.defconfig);
  put("defconfig_full", m.defconfig_full);
  json::Value fragments(rapidjson::kArrayType);
  for (const auto& f : m.kconfig_fragments) fragments.PushBack(json::Value(f, a), a);
  doc.AddMember("kconfig_fragments", fragments, a);
  put("tree", m.tree);
  put("git_url", m.git_url);
  put("git_branch", m.git_branch);
  put("git_commit", m.git_commit);
  put("git_describe", m.git_describe);
  put("git_describe_v", m.git_describe_v);
  put("file_server_resource", m.publish_path);
  put("kernel_image", m.kernel_image);
  if (m.kernel_image_size) put_number("kernel_image_size", *m.kernel_image_size);
  put("kernel_config", m.kernel_config);
  put("system_map", m.system_map);
  put("modules", m.modules);
  put("dtb_dir", m.dtb_dir);
  put("build_log", m.build_log);
  if (m.vmlinux_sizes) {
    put_number("vmlinux_text_size", m.vmlinux_sizes->text);
    put_number("vmlinux_data_size", m.vmlinux_sizes->data);
    put_number("vmlinux_bss_size", m.vmlinux_sizes->bss);
  }
  if (m.vmlinux_file_size) put_number("vmlinux_file_size", *m.vmlinux_file_size);
  put("text_offset", m.text_offset);
  return json::write(doc, 4) + "\n";
}

}  // namespace kci::pipeline
