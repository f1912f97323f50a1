// anonify-enclave: serves the framed JSON protocol of PROTOCOL.md on stdin/stdout.
//
//   anonify-enclave [--mode simulation|sgx] [--data-dir DIR]
//
// Under Gramine the manifest fixes these arguments, so the untrusted host cannot change them.
#include <csignal>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>

#include "anonify/enclave/methods.h"
#include "anonify/protocol/server.h"

namespace {

constexpr char kUsage[] =
    "usage: anonify-enclave [--mode simulation|sgx] [--data-dir DIR]\n"
    "Serves the Anonify enclave protocol (enclave/PROTOCOL.md) on stdin/stdout.\n";

void log_line(const std::string& line) { std::cerr << "anonify-enclave: " << line << std::endl; }

}  // namespace

int main(int argc, char** argv) {
  using namespace anonify;
  // A closed stdout must surface as a write error, not kill the process silently.
  std::signal(SIGPIPE, SIG_IGN);

  std::string mode_arg = "simulation";
  std::optional<std::string> data_dir;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cerr << kUsage;
      return protocol::kExitOk;
    }
    if ((arg == "--mode" || arg == "--data-dir") && i + 1 < argc) {
      (arg == "--mode" ? mode_arg : data_dir.emplace()) = argv[++i];
      continue;
    }
    log_line("unknown or incomplete argument \"" + arg + "\"");
    std::cerr << kUsage;
    return protocol::kExitUsage;
  }

  try {
    enclave::Mode mode = enclave::parse_mode(mode_arg);
    enclave::require_build_mode(mode);
    std::unique_ptr<enclave::Platform> platform =
        mode == enclave::Mode::kSgx ? enclave::make_sgx_platform() : enclave::make_simulation_platform();
    enclave::Enclave state(std::move(platform), data_dir);
    enclave::EnclaveDispatcher dispatcher = enclave::make_dispatcher();
    log_line(std::string("ready (mode ") + enclave::mode_name(mode) + ", protocol v" +
             std::to_string(enclave::kProtocolVersion) + ")");
    return protocol::serve(dispatcher, state, 0, 1, log_line);
  } catch (const Error& e) {
    log_line(std::string("startup failed: ") + error_code_name(e.code()) + ": " + e.what());
    return protocol::kExitUsage;
  } catch (const std::exception& e) {
    log_line(std::string("startup failed: ") + e.what());
    return protocol::kExitUsage;
  }
}
