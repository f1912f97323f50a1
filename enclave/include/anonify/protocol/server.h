// The request/response loop over two file descriptors (stdin/stdout in the enclave program).
#pragma once

#include <string>

#include "anonify/protocol/dispatcher.h"
#include "anonify/protocol/frame.h"

namespace anonify::protocol {

/// Process exit codes of the enclave program (PROTOCOL.md).
enum ExitCode : int {
  kExitOk = 0,             ///< end of input at a frame boundary
  kExitUsage = 2,          ///< bad command line or startup failure
  kExitFrameError = 3,     ///< truncated frame or oversized length prefix (stream not recoverable)
  kExitIoError = 4,        ///< reading stdin or writing stdout failed
};

/// Serves frames until end of input or an unrecoverable framing error. Diagnostics go to
/// `log_fd` (stderr); responses to `out_fd`. Returns the process exit code.
template <typename Context>
int serve(const Dispatcher<Context>& dispatcher, Context& context, int in_fd, int out_fd, void (*log)(const std::string&)) {
  FdFrameReader reader(in_fd);
  for (;;) {
    std::optional<Bytes> frame;
    try {
      frame = reader.next();
    } catch (const Error& e) {
      if (e.code() == ErrorCode::kFrameTooLarge) {
        // Tell the host why before giving up on the stream.
        try {
          write_frame(out_fd, encode_error(nullptr, e.code(), e.what()));
        } catch (const Error&) {
        }
        log(std::string("fatal: ") + e.what());
        return kExitFrameError;
      }
      if (e.code() == ErrorCode::kFrameTruncated) {
        log(std::string("fatal: ") + e.what());
        return kExitFrameError;
      }
      log(std::string("fatal: ") + e.what());
      return kExitIoError;
    }
    if (!frame) return kExitOk;
    Bytes response = dispatcher.handle(context, *frame);
    try {
      write_frame(out_fd, response);
    } catch (const Error& e) {
      log(std::string("fatal: ") + e.what());
      return kExitIoError;
    }
  }
}

}  // namespace anonify::protocol
