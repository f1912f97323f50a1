#include "anonify/mls/credential.h"

#include <set>
#include <string>

#include "anonify/mls/mls_error.h"

namespace anonify::mls {

Credential Credential::basic(Bytes identity) {
  Credential c;
  c.type = CredentialType::kBasic;
  c.identity = std::move(identity);
  return c;
}

void Credential::encode(TlsWriter& w) const {
  w.u16(static_cast<uint16_t>(type));
  switch (type) {
    case CredentialType::kBasic:
      w.opaque(identity);
      break;
    case CredentialType::kX509:
      w.vector([&](TlsWriter& inner) {
        for (const Bytes& cert : certificates) inner.opaque(cert);
      });
      break;
  }
}

Credential Credential::decode(TlsReader& r) {
  Credential c;
  const uint16_t type = r.u16();
  if (type == static_cast<uint16_t>(CredentialType::kBasic)) {
    c.type = CredentialType::kBasic;
    c.identity = r.opaque();
  } else if (type == static_cast<uint16_t>(CredentialType::kX509)) {
    c.type = CredentialType::kX509;
    c.certificates = read_vector<Bytes>(r, [](TlsReader& in) { return in.opaque(); });
  } else {
    fail(Reason::kUnsupported, "credential type " + std::to_string(type));
  }
  return c;
}

void Extension::encode(TlsWriter& w) const {
  w.u16(type);
  w.opaque(data);
}

Extension Extension::decode(TlsReader& r) {
  Extension e;
  e.type = r.u16();
  e.data = r.opaque();
  return e;
}

void encode_extensions(TlsWriter& w, const ExtensionList& extensions) {
  w.vector([&](TlsWriter& inner) {
    for (const Extension& e : extensions) e.encode(inner);
  });
}

ExtensionList decode_extensions(TlsReader& r) {
  ExtensionList list = read_vector<Extension>(r, [](TlsReader& in) { return Extension::decode(in); });
  std::set<uint16_t> seen;
  for (const Extension& e : list) {
    if (!seen.insert(e.type).second) {
      fail(Reason::kMalformed, "duplicate extension type " + std::to_string(e.type));
    }
  }
  return list;
}

const Extension* find_extension(const ExtensionList& extensions, ExtensionType type) {
  for (const Extension& e : extensions) {
    if (e.type == static_cast<uint16_t>(type)) return &e;
  }
  return nullptr;
}

}  // namespace anonify::mls
