// Shared pieces of the libFuzzer harnesses: a deterministic random source (so a harness builds the
// same fixtures in every process and its committed seeds stay valid), a private temporary
// directory, the round-trip oracle, and seed writing.
//
// Seeds: running a harness with ANONIFY_FUZZ_WRITE_SEEDS=<dir> writes its seed corpus (real
// encodings produced by the fixtures) into <dir> and exits; enclave/fuzz/corpus/<harness>/ holds
// the committed result (enclave/scripts/fuzz.sh --seeds regenerates all of them).
#pragma once

// RAND_set_rand_method is deprecated in OpenSSL 3.0 but still honoured by RAND_bytes_ex and
// RAND_priv_bytes_ex (hence by key generation in the default provider): what a fuzz harness needs.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <typeinfo>
#include <vector>

#include "anonify/bytes.h"

namespace anonify::fuzz {

// SHA-256 in counter mode over a fixed seed: every process draws the same stream.
class DeterministicRandom {
 public:
  static void install() {
    static const RAND_METHOD method = {nullptr, &bytes, nullptr, nullptr, &bytes, &status};
    if (RAND_set_rand_method(&method) != 1) std::abort();
  }

 private:
  static int bytes(unsigned char* out, int length) {
    static uint64_t counter = 0;
    while (length > 0) {
      unsigned char block[SHA256_DIGEST_LENGTH];
      unsigned char input[24] = "anonify-fuzz-rng";
      std::memcpy(input + 16, &counter, sizeof counter);
      ++counter;
      SHA256(input, sizeof input, block);
      const int take = length < SHA256_DIGEST_LENGTH ? length : SHA256_DIGEST_LENGTH;
      std::memcpy(out, block, static_cast<size_t>(take));
      out += take;
      length -= take;
    }
    return 1;
  }
  static int status() { return 1; }
};

// A directory under /tmp removed when the process exits normally.
class TempDir {
 public:
  // In $TMPDIR when set, else in /dev/shm when present: harnesses that start enclaves create, write
  // and fsync sealed files for every input, which on a disk file system costs milliseconds each
  // (the sealing code is the same on either).
  TempDir() {
    std::string pattern = base() + "/anonify-fuzz-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

  // Copies the files of directory `source` into this one. A copy interrupted by a signal is made
  // again: libFuzzer's -timeout arms a SIGALRM timer whose handler interrupts the copy's system
  // calls, and std::filesystem reports that as an error (a 10-million-execution run of fuzz_runtime
  // stopped on it after 1.4 million inputs, with "cannot copy file: Interrupted system call").
  void copy_files_from(const std::string& source) const {
    for (const auto& file : std::filesystem::directory_iterator(source)) {
      const std::filesystem::path target = std::filesystem::path(path_) / file.path().filename();
      for (int attempt = 1;; ++attempt) {
        std::error_code error;
        std::filesystem::copy_file(file.path(), target, std::filesystem::copy_options::overwrite_existing, error);
        if (!error) break;
        if (error != std::errc::interrupted || attempt == kCopyAttempts) {
          throw std::filesystem::filesystem_error("cannot copy file", file.path(), target, error);
        }
      }
    }
  }

 private:
  static constexpr int kCopyAttempts = 100;

  static std::string base() {
    if (const char* tmpdir = std::getenv("TMPDIR"); tmpdir != nullptr && *tmpdir != '\0') return tmpdir;
    std::error_code ignored;
    return std::filesystem::is_directory("/dev/shm", ignored) ? "/dev/shm" : "/tmp";
  }

  std::string path_;
};

[[noreturn]] inline void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz invariant violated: %s: %s\n", what, detail.c_str());
  std::abort();
}

// Refusals are anonify::Error; anything else escaping a harness (a std::length_error, a JSON
// library exception, a filesystem error) ends in std::terminate. Without this the log says only
// "deadly signal"; with it, the exception's type and message are in the log next to the reproducer.
[[noreturn]] inline void report_uncaught_exception() {
  std::string detail = "no active exception";
  if (const std::exception_ptr current = std::current_exception()) {
    try {
      std::rethrow_exception(current);
    } catch (const std::exception& e) {
      detail = std::string(typeid(e).name()) + ": " + e.what();
    } catch (...) {
      detail = "an exception not derived from std::exception";
    }
  }
  fail("uncaught exception (refusals must be anonify::Error)", detail);
}
inline const std::terminate_handler kPreviousTerminateHandler = std::set_terminate(&report_uncaught_exception);

// An accepted input must re-encode to exactly its bytes (one encoding per value).
inline void require_roundtrip(const char* what, ByteView input, ByteView reencoded) {
  if (input.size() == reencoded.size() && std::memcmp(input.data(), reencoded.data(), input.size()) == 0) return;
  fail(what, "decode/encode round trip differs\n  in:  " + to_hex(input) + "\n  out: " + to_hex(reencoded));
}

// A seed: selector byte(s) then the payload.
inline Bytes seed(std::initializer_list<uint8_t> prefix, ByteView body) {
  Bytes out(prefix);
  append(out, body);
  return out;
}

// With ANONIFY_FUZZ_WRITE_SEEDS set, writes `seeds` there as <name>-<n> and exits.
inline void write_seeds_if_asked(const std::vector<std::pair<std::string, Bytes>>& seeds) {
  const char* dir = std::getenv("ANONIFY_FUZZ_WRITE_SEEDS");
  if (dir == nullptr) return;
  std::filesystem::create_directories(dir);
  for (const auto& [name, bytes] : seeds) {
    std::ofstream out(std::string(dir) + "/" + name, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) fail("seed", "cannot write " + name);
  }
  std::fprintf(stderr, "wrote %zu seeds to %s\n", seeds.size(), dir);
  std::exit(0);
}

}  // namespace anonify::fuzz
