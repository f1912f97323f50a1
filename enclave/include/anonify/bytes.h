// Byte buffers used across the enclave: owned public bytes (`Bytes`), owned secret bytes that are
// wiped when released (`SecretBytes`), and a non-owning read-only view (`ByteView`) that every
// crypto function takes so callers can pass either kind (or a std::array / string) without copies.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace anonify {

/// Owned bytes with no confidentiality requirement (public keys, ciphertexts, hashes, encodings).
using Bytes = std::vector<uint8_t>;

/// Non-owning view of contiguous bytes. Valid only while the viewed storage lives; use it for
/// parameters, never store it.
class ByteView {
 public:
  constexpr ByteView() noexcept = default;
  constexpr ByteView(const uint8_t* data, size_t size) noexcept : data_(data), size_(size) {}
  ByteView(const Bytes& bytes) noexcept : data_(bytes.data()), size_(bytes.size()) {}  // NOLINT implicit
  template <size_t N>
  constexpr ByteView(const std::array<uint8_t, N>& bytes) noexcept  // NOLINT implicit
      : data_(bytes.data()), size_(N) {}
  /// Views the characters of a string as bytes (labels, JSON text).
  static ByteView from_string(std::string_view s) noexcept {
    return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }

  constexpr const uint8_t* data() const noexcept { return data_; }
  constexpr size_t size() const noexcept { return size_; }
  constexpr bool empty() const noexcept { return size_ == 0; }
  constexpr const uint8_t* begin() const noexcept { return data_; }
  constexpr const uint8_t* end() const noexcept { return data_ + size_; }
  constexpr uint8_t operator[](size_t i) const noexcept { return data_[i]; }
  /// Bytes [offset, offset + length); throws Error(InvalidArgument) when out of range.
  ByteView subview(size_t offset, size_t length) const;
  /// Copies into an owned public buffer.
  Bytes to_bytes() const { return Bytes(begin(), end()); }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

/// Owned secret bytes (private keys, shared secrets, derived keys). Wiped with OPENSSL_cleanse on
/// destruction, on assignment and on resize; copies are explicit deep copies (also wiped later).
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t size) : bytes_(size, 0) {}
  /// Copies from a view (the source stays the caller's responsibility).
  explicit SecretBytes(ByteView view) : bytes_(view.begin(), view.end()) {}
  /// Takes ownership of a buffer without leaving a copy behind.
  explicit SecretBytes(Bytes&& bytes) noexcept : bytes_(std::move(bytes)) {}
  SecretBytes(const SecretBytes& other) : bytes_(other.bytes_) {}
  SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) { other.bytes_.clear(); }
  SecretBytes& operator=(const SecretBytes& other);
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  ~SecretBytes();

  uint8_t* data() noexcept { return bytes_.data(); }
  const uint8_t* data() const noexcept { return bytes_.data(); }
  size_t size() const noexcept { return bytes_.size(); }
  bool empty() const noexcept { return bytes_.empty(); }
  uint8_t& operator[](size_t i) noexcept { return bytes_[i]; }
  uint8_t operator[](size_t i) const noexcept { return bytes_[i]; }
  /// Wipes the old contents, then resizes (new bytes are zero).
  void resize(size_t size);
  /// Wipes and empties.
  void wipe() noexcept;

  ByteView view() const noexcept { return ByteView(bytes_.data(), bytes_.size()); }
  operator ByteView() const noexcept { return view(); }  // NOLINT implicit: pass secrets to crypto
  /// Deliberate copy into a public buffer, e.g. to serialize into a sealed blob. Named so that
  /// every place a secret leaves the wiping type is greppable.
  Bytes reveal() const { return bytes_; }

 private:
  Bytes bytes_;
};

/// Lower-case hex without prefix.
std::string to_hex(ByteView bytes);
/// Writes the 2 * bytes.size() lower-case hex digits of `bytes` at `out` (which has room for them);
/// returns the end. For callers that build a larger text (a "0x" parameter, a JSON string).
char* write_hex(ByteView bytes, char* out) noexcept;
/// Parses hex (upper or lower case, optional "0x" prefix, even length). Throws Error(InvalidArgument).
Bytes from_hex(std::string_view hex);

/// Constant-time comparison (time depends only on the lengths). Different lengths -> false.
bool constant_time_equal(ByteView a, ByteView b) noexcept;

/// Byte-wise equality of public data (certificates, OIDs, measurements); for secrets use constant_time_equal.
bool equal_bytes(ByteView a, ByteView b) noexcept;

/// Whether `text` occurs in `bytes` starting at `at` (false when it would run past the end). For the text formats
/// Intel's evidence carries (PEM, the PCS JSON); not constant-time.
bool has_text_at(ByteView bytes, size_t at, std::string_view text) noexcept;

/// a ‖ b ‖ ... as a new buffer.
Bytes concat(std::initializer_list<ByteView> parts);

/// Appends `part` to `out`.
void append(Bytes& out, ByteView part);

/// Big-endian encodings used by RFC 9180/9420 and Ethereum ABI words.
void append_u16_be(Bytes& out, uint16_t value);
void append_u32_be(Bytes& out, uint32_t value);
void append_u64_be(Bytes& out, uint64_t value);
/// `length` bytes big-endian (length <= 8 carries the value, wider is zero-padded on the left).
Bytes u64_be(uint64_t value, size_t length);

}  // namespace anonify
