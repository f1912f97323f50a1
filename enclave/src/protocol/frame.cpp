#include "anonify/protocol/frame.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "anonify/error.h"

namespace anonify::protocol {

namespace {

uint32_t read_u32_be(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
}

Error too_large(uint64_t length) {
  return Error(ErrorCode::kFrameTooLarge, "frame length " + std::to_string(length) + " exceeds the maximum of " +
                                              std::to_string(kMaxFrameSize) + " bytes");
}

}  // namespace

Bytes encode_frame(ByteView body) {
  if (body.size() > kMaxFrameSize) throw too_large(body.size());
  Bytes out;
  out.reserve(kFrameHeaderSize + body.size());
  append_u32_be(out, static_cast<uint32_t>(body.size()));
  append(out, body);
  return out;
}

void FrameDecoder::feed(ByteView data) {
  // Drop consumed bytes before growing, so the buffer holds at most one frame plus a chunk.
  if (offset_ > 0 && offset_ == buffer_.size()) {
    buffer_.clear();
    offset_ = 0;
  } else if (offset_ > (1u << 16)) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(offset_));
    offset_ = 0;
  }
  append(buffer_, data);
}

std::optional<Bytes> FrameDecoder::next() {
  if (buffered() < kFrameHeaderSize) return std::nullopt;
  uint32_t length = read_u32_be(buffer_.data() + offset_);
  if (length > kMaxFrameSize) throw too_large(length);
  if (buffered() - kFrameHeaderSize < length) return std::nullopt;
  auto start = buffer_.begin() + static_cast<std::ptrdiff_t>(offset_ + kFrameHeaderSize);
  Bytes body(start, start + length);
  offset_ += kFrameHeaderSize + length;
  return body;
}

void FrameDecoder::finish() const {
  size_t pending = buffered();
  if (pending == 0) return;
  if (pending < kFrameHeaderSize) {
    throw Error(ErrorCode::kFrameTruncated,
                "input ended inside a frame header (" + std::to_string(pending) + " of 4 bytes)");
  }
  uint32_t length = read_u32_be(buffer_.data() + offset_);
  throw Error(ErrorCode::kFrameTruncated, "input ended inside a frame (" + std::to_string(pending - kFrameHeaderSize) +
                                              " of " + std::to_string(length) + " body bytes)");
}

std::optional<Bytes> FdFrameReader::next() {
  uint8_t chunk[64 * 1024];
  for (;;) {
    if (std::optional<Bytes> frame = decoder_.next()) return frame;
    ssize_t n = ::read(fd_, chunk, sizeof(chunk));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorCode::kStorageError, std::string("reading the request stream failed: ") + std::strerror(errno));
    }
    if (n == 0) {
      decoder_.finish();
      return std::nullopt;
    }
    decoder_.feed(ByteView(chunk, static_cast<size_t>(n)));
  }
}

void write_frame(int fd, ByteView body) {
  Bytes frame = encode_frame(body);
  size_t written = 0;
  while (written < frame.size()) {
    ssize_t n = ::write(fd, frame.data() + written, frame.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorCode::kStorageError, std::string("writing the response stream failed: ") + std::strerror(errno));
    }
    written += static_cast<size_t>(n);
  }
}

}  // namespace anonify::protocol
