// Where the tests, the fuzz harnesses and the bench find the committed test vectors, without GoogleTest (the
// bench and the harnesses include it too).
#pragma once

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "anonify/bytes.h"

namespace anonify::testing {

/// $ANONIFY_VECTORS when it is set and not empty, else the copies committed under test/vectors
/// (ANONIFY_DEFAULT_VECTORS, compiled in by CMake).
inline std::string vectors_dir() {
  const char* env = std::getenv("ANONIFY_VECTORS");
  return (env != nullptr && *env != '\0') ? env : ANONIFY_DEFAULT_VECTORS;
}

/// A vector file by its path under the vector directory, e.g. "mls/messages.json".
inline std::string vector_path(const std::string& relative) { return vectors_dir() + "/" + relative; }

/// A whole file as bytes; throws std::runtime_error naming the path when it cannot be read.
inline Bytes read_binary_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace anonify::testing
