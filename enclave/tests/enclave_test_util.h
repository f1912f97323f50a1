// Shared helpers of the enclave foundation's GoogleTest files: vector location, gzip loading,
// temporary directories, whole-file reads and writes, error codes.
#pragma once

#ifdef ANONIFY_HAVE_ZLIB
#include <zlib.h>
#endif

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "anonify/bytes.h"
#include "anonify/error.h"
#include "vector_files.h"

namespace anonify::testing {

/// Whole file as bytes; fails the test (and returns empty) when it cannot be read.
inline std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot open " << path;
    return {};
  }
  // In bulk: a character-wise istreambuf_iterator copy of the 240 MB test binary (SimulationPlatform hashes
  // /proc/self/exe) took 20 s in the sanitizer build.
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

/// Inflates a .gz file: with zlib when built with it, else through `gzip -dc` (gzip is essential
/// on Debian).
inline std::string read_gzip_file(const std::string& path) {
  std::string out;
  char chunk[1 << 16];
#ifdef ANONIFY_HAVE_ZLIB
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) {
    ADD_FAILURE() << "cannot open " << path;
    return {};
  }
  int n = 0;
  while ((n = gzread(file, chunk, sizeof(chunk))) > 0) out.append(chunk, static_cast<size_t>(n));
  int errnum = 0;
  const char* message = gzerror(file, &errnum);
  if (n < 0 || errnum != Z_OK) ADD_FAILURE() << "inflating " << path << " failed: " << message;
  gzclose(file);
#else
  if (path.find('\'') != std::string::npos) {
    ADD_FAILURE() << "refusing to quote path " << path;
    return {};
  }
  FILE* pipe = ::popen(("gzip -dc '" + path + "'").c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run gzip for " << path;
    return {};
  }
  size_t n = 0;
  while ((n = std::fread(chunk, 1, sizeof(chunk), pipe)) > 0) out.append(chunk, n);
  if (::pclose(pipe) != 0) ADD_FAILURE() << "gzip -dc " << path << " failed";
#endif
  return out;
}

inline Bytes hex_of(const nlohmann::json& value) { return from_hex(value.get<std::string>()); }

/// The name of the anonify::Error code `f` throws ("no error" when it returns).
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return error_code_name(e.code());
  }
  return "no error";
}

/// Whole file as bytes; fails the test (and returns empty) when it cannot be read.
inline Bytes read_all(const std::string& path) {
  const std::string content = read_text_file(path);
  return Bytes(content.begin(), content.end());
}

/// Overwrites a file in place (same inode, truncated), as a host editing the data directory would.
inline void write_raw(const std::string& path, const Bytes& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!out) ADD_FAILURE() << "cannot write " << path;
}

/// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/anonify-test-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace anonify::testing
