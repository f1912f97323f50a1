// Credentials and extensions (RFC 9420 sections 5.3 and 13). Anonify members use basic credentials
// whose identity is the enclave's Ethereum address; X.509 chains are carried, not validated.
#pragma once

#include <cstdint>
#include <vector>

#include "anonify/mls/tls_codec.h"

namespace anonify::mls {

enum class CredentialType : uint16_t { kBasic = 1, kX509 = 2 };

struct Credential {
  CredentialType type = CredentialType::kBasic;
  Bytes identity;                  // basic
  std::vector<Bytes> certificates; // x509 (DER, leaf first)

  static Credential basic(Bytes identity);
  void encode(TlsWriter& w) const;
  static Credential decode(TlsReader& r);
  bool operator==(const Credential& o) const {
    return type == o.type && identity == o.identity && certificates == o.certificates;
  }
};

enum class ExtensionType : uint16_t {
  kApplicationId = 1,
  kRatchetTree = 2,
  kRequiredCapabilities = 3,
  kExternalPub = 4,
  kExternalSenders = 5,
};

struct Extension {
  uint16_t type = 0;
  Bytes data;

  void encode(TlsWriter& w) const;
  static Extension decode(TlsReader& r);
  bool operator==(const Extension& o) const { return type == o.type && data == o.data; }
};

using ExtensionList = std::vector<Extension>;

void encode_extensions(TlsWriter& w, const ExtensionList& extensions);
// Refuses duplicate extension types (RFC 9420 section 13).
ExtensionList decode_extensions(TlsReader& r);
const Extension* find_extension(const ExtensionList& extensions, ExtensionType type);

}  // namespace anonify::mls
