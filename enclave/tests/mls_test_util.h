// Shared helpers of the MLS GoogleTest files: locating and loading the RFC 9420 interop vectors.
#pragma once

#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "anonify/bytes.h"
#include "vector_files.h"

namespace anonify::mls::testing {

// $ANONIFY_VECTORS/mls, else the committed copy test/vectors/mls (ANONIFY_DEFAULT_VECTORS, set by CMake).
inline std::string mls_vector_path(const std::string& file) { return anonify::testing::vector_path("mls/" + file); }

inline nlohmann::json load_mls_vectors(const std::string& file) {
  const std::string path = mls_vector_path(file);
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << "cannot open vector file " << path;
    return nlohmann::json::array();
  }
  return nlohmann::json::parse(in);
}

// Entries for ciphersuite 1 (files without a cipher_suite field are suite-independent).
inline bool is_suite_one(const nlohmann::json& entry) {
  return !entry.contains("cipher_suite") || entry.at("cipher_suite").get<int>() == 1;
}

inline Bytes hex(const nlohmann::json& value) { return from_hex(value.get<std::string>()); }

inline void report_passed(const std::string& file, size_t passed, size_t total) {
  std::printf("[ mls vectors ] %s: %zu/%zu entries passed (suite 1 or suite-independent)\n", file.c_str(), passed, total);
  EXPECT_GT(total, 0U) << file << " has no suite-1 entries";
  EXPECT_EQ(passed, total) << file;
}

// Runs `check` on every suite-1 (or suite-independent) entry of `file`, reports the count and fails
// the test for each entry that does not pass.
inline void run_vector_file(const std::string& file, const std::function<bool(const nlohmann::json&)>& check) {
  const nlohmann::json vectors = load_mls_vectors(file);
  size_t passed = 0;
  size_t total = 0;
  for (const nlohmann::json& entry : vectors) {
    if (!is_suite_one(entry)) continue;
    ++total;
    const bool ok = check(entry);
    EXPECT_TRUE(ok) << file << " entry " << total - 1;
    passed += ok ? 1 : 0;
  }
  report_passed(file, passed, total);
}

}  // namespace anonify::mls::testing
