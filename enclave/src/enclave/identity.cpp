#include "anonify/enclave/identity.h"

#include "anonify/crypto/ed25519.h"
#include "anonify/crypto/hash.h"
#include "anonify/crypto/secp256k1.h"
#include "anonify/crypto/x25519.h"
#include "anonify/enclave/platform.h"
#include "anonify/error.h"

namespace anonify::enclave {

namespace {
constexpr uint8_t kIdentityFormatVersion = 1;
constexpr size_t kKeySize = 32;
constexpr size_t kSerializedSize = 1 + 3 * kKeySize;
constexpr size_t kReportDataHashOffset = 20;
}  // namespace

Identity::Identity(SecretBytes secp256k1, SecretBytes hpke, SecretBytes mls)
    : secp256k1_private_(std::move(secp256k1)),
      hpke_private_(std::move(hpke)),
      mls_private_(std::move(mls)),
      hpke_key_(hpke_private_) {
  secp256k1_public_ = crypto::secp256k1_public_key(secp256k1_private_);
  eth_address_ = crypto::eth_address_from_public_key(secp256k1_public_);
  hpke_public_ = hpke_key_.public_key();
  mls_public_ = crypto::ed25519_public_key(mls_private_);
}

Identity Identity::generate() {
  crypto::X25519KeyPair hpke = crypto::x25519_generate();
  crypto::Ed25519KeyPair mls = crypto::ed25519_generate();
  return Identity(crypto::secp256k1_generate_private_key(), std::move(hpke.private_key), std::move(mls.private_key));
}

Identity Identity::deserialize(ByteView sealed_form) {
  if (sealed_form.size() != kSerializedSize || sealed_form[0] != kIdentityFormatVersion) {
    throw Error(ErrorCode::kSealedDataCorrupt, "sealed identity has an unknown layout");
  }
  try {
    return Identity(SecretBytes(sealed_form.subview(1, kKeySize)), SecretBytes(sealed_form.subview(1 + kKeySize, kKeySize)),
                    SecretBytes(sealed_form.subview(1 + 2 * kKeySize, kKeySize)));
  } catch (const Error& e) {
    throw Error(ErrorCode::kSealedDataCorrupt, std::string("sealed identity holds an invalid key: ") + e.what());
  }
}

SecretBytes Identity::serialize() const {
  SecretBytes out(kSerializedSize);
  out[0] = kIdentityFormatVersion;
  std::copy(secp256k1_private_.data(), secp256k1_private_.data() + kKeySize, out.data() + 1);
  std::copy(hpke_private_.data(), hpke_private_.data() + kKeySize, out.data() + 1 + kKeySize);
  std::copy(mls_private_.data(), mls_private_.data() + kKeySize, out.data() + 1 + 2 * kKeySize);
  return out;
}

Bytes Identity::report_data() const {
  Bytes out(kReportDataSize, 0);
  std::copy(eth_address_.begin(), eth_address_.end(), out.begin());
  Bytes keys_hash = crypto::sha256(concat({hpke_public_, mls_public_}));
  std::copy(keys_hash.begin(), keys_hash.end(), out.begin() + kReportDataHashOffset);
  return out;
}

}  // namespace anonify::enclave
