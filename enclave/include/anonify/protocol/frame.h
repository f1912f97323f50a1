// Framing of the host <-> enclave protocol: every message is a 4-byte big-endian length followed
// by that many bytes of UTF-8 JSON. See enclave/PROTOCOL.md.
#pragma once

#include <cstdint>
#include <optional>

#include "anonify/bytes.h"

namespace anonify::protocol {

constexpr size_t kFrameHeaderSize = 4;
/// Largest accepted frame body (16 MiB). A larger length prefix is a protocol error: the stream
/// cannot be resynchronised, so the enclave answers with `frame_too_large` and exits.
constexpr uint32_t kMaxFrameSize = 16u * 1024u * 1024u;

/// Header ‖ body. Throws Error(FrameTooLarge) if the body exceeds kMaxFrameSize.
Bytes encode_frame(ByteView body);

/// Incremental decoder over bytes arriving in arbitrary chunks (used by the stdin reader, the unit
/// tests and the fuzzer).
class FrameDecoder {
 public:
  /// Appends received bytes.
  void feed(ByteView data);
  /// The next complete frame body, or nullopt when more bytes are needed. Throws
  /// Error(FrameTooLarge) as soon as a header announces more than kMaxFrameSize.
  std::optional<Bytes> next();
  /// Bytes received but not yet returned as a frame (a partial frame at end of input).
  size_t buffered() const noexcept { return buffer_.size() - offset_; }
  /// Called at end of input: throws Error(FrameTruncated) if a partial frame is pending.
  void finish() const;

 private:
  Bytes buffer_;
  size_t offset_ = 0;
};

/// Blocking reader of frames from a file descriptor (stdin).
class FdFrameReader {
 public:
  explicit FdFrameReader(int fd) : fd_(fd) {}
  /// Next frame body; nullopt on end of input at a frame boundary. Throws Error(FrameTruncated) on
  /// end of input mid-frame, Error(FrameTooLarge), Error(StorageError) on a read error.
  std::optional<Bytes> next();

 private:
  int fd_;
  FrameDecoder decoder_;
};

/// Writes one frame fully (retrying short writes). Throws Error(StorageError) on failure (e.g. the
/// host closed its end).
void write_frame(int fd, ByteView body);

}  // namespace anonify::protocol
