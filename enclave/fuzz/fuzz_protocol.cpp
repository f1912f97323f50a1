// libFuzzer harness for the host-facing input path: frame decoding (arbitrary chunking), request
// parsing and dispatch to the real method table of a real simulation enclave. The enclave's data
// directory is pinned to a private temporary directory, so `init` cannot write elsewhere.
//
// Invariants checked: no crash/UB (sanitizers), every decoded frame gets exactly one response that
// is itself a well-formed response object, and a rejected frame stream stops with a known error.
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "anonify/enclave/methods.h"
#include "anonify/protocol/frame.h"

using namespace anonify;

namespace {

struct Harness {
  std::string data_dir;
  std::unique_ptr<enclave::Enclave> enclave;
  enclave::EnclaveDispatcher dispatcher = enclave::make_dispatcher();

  Harness() {
    char pattern[] = "/tmp/anonify-fuzz-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) std::abort();
    data_dir = pattern;
    enclave = std::make_unique<enclave::Enclave>(enclave::make_simulation_platform(), data_dir);
  }
  ~Harness() {
    std::error_code ignored;
    std::filesystem::remove_all(data_dir, ignored);
  }
};

Harness& harness() {
  static Harness h;
  return h;
}

void check_response(const Bytes& response) {
  protocol::Json doc = protocol::Json::parse(response.begin(), response.end());
  bool ok = doc.is_object() && doc.contains("id") && (doc.contains("result") != doc.contains("error"));
  if (ok && doc.contains("error")) ok = doc["error"]["code"].is_string() && doc["error"]["message"].is_string();
  if (!ok) {
    std::fprintf(stderr, "malformed response: %s\n", doc.dump().c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Harness& h = harness();
  // The first byte picks the chunk size, so frame boundaries fall everywhere.
  size_t chunk = size > 0 ? (data[0] % 16) + 1 : 1;
  protocol::FrameDecoder decoder;
  try {
    for (size_t offset = size > 0 ? 1 : 0; offset < size; offset += chunk) {
      decoder.feed(ByteView(data + offset, std::min(chunk, size - offset)));
      while (std::optional<Bytes> frame = decoder.next()) check_response(h.dispatcher.handle(*h.enclave, *frame));
    }
    decoder.finish();
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kFrameTooLarge && e.code() != ErrorCode::kFrameTruncated) {
      std::fprintf(stderr, "unexpected framing error %s: %s\n", error_code_name(e.code()), e.what());
      std::abort();
    }
  }
  // Also hand the raw input to the request parser as one body.
  check_response(h.dispatcher.handle(*h.enclave, ByteView(data, size)));
  return 0;
}
