#include "anonify/runtime/runtime.h"

#include <algorithm>

#include "anonify/error.h"

namespace anonify::runtime {

std::optional<Address> parse_address(std::string_view text) {
  if (text.size() != 2 + 2 * kAddressSize || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) return std::nullopt;
  try {
    const Bytes bytes = from_hex(text);
    Address out{};
    std::copy(bytes.begin(), bytes.end(), out.begin());
    return out;
  } catch (const Error&) {
    return std::nullopt;
  }
}

std::string format_address(const Address& address) { return "0x" + to_hex(address); }

Address address_from_bytes(ByteView bytes) {
  if (bytes.size() != kAddressSize) throw Error(ErrorCode::kInvalidArgument, "an address is 20 bytes");
  Address out{};
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

void encode_address(mls::TlsWriter& out, const Address& address) { out.raw(address.data(), address.size()); }

Address decode_address(mls::TlsReader& in) { return address_from_bytes(in.raw(kAddressSize)); }

std::string decode_text(mls::TlsReader& in) {
  const Bytes bytes = in.opaque();
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace anonify::runtime
