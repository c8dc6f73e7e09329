// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/build/artifacts.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "util/text.h"

namespace kci::pipeline {

std::string path_component(std::string_view text) {
  std::string out;
  for (char c : text) {
    bool plain = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '+' ||
                 c == '=' || c == ',' || c == '-';
    out.push_back(plain ? c : '_');
  }
  // "." and ".." would walk the tree instead of naming a directory.
  if (out.empty() || out == "." || out == "..") out = "_" + out;
  return out;
}

std::string publish_path(const PublishPathParts& p) {
  return path_component(p.tree) + "/" + path_component(p.branch) + "/" +
         path_component(p.describe) + "/" + path_component(p.arch) + "/" +
         path_component(p.config) + "/" + path_component(p.toolchain);
}

std::string url_encode_path(std::string_view path) {
  return percent_encode(path, "-._~/!$&'()*+,;=:@");
}

std::string file_url(const std::string& directory) {
  std::string absolute = std::filesystem::absolute(directory).lexically_normal().generic_string();
  while (absolute.size() > 1 && absolute.back() == '/') absolute.pop_back();
  return "file://" + url_encode_path(absolute);
}

std::string artifact_url(std::string_view base, std::string_view relative_path) {
  std::string url(base);
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url + "/" + url_encode_path(relative_path);
}

std::string default_artifacts_dir() {
  const char* env = std::getenv("KCI_ARTIFACTS");
  return env && *env ? std::string(env) : std::string("artifacts");
}

}  // namespace kci::pipeline
