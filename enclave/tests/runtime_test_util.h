// Helpers of the state-runtime tests and of the enclave benchmark: users with secp256k1 keys who
// sign and seal commands, reads and subscriptions exactly as a client does (PROTOCOL.md "State
// runtime methods"). Free of GoogleTest, so the benchmark program can use it too.
#pragma once

#include <string>

#include "anonify/crypto/eip712.h"
#include "anonify/crypto/hpke.h"
#include "anonify/crypto/keccak.h"
#include "anonify/crypto/secp256k1.h"
#include "anonify/runtime/envelope.h"
#include "anonify/runtime/ledger.h"

namespace anonify::runtime::fixtures {

inline Domain test_domain() {
  Domain d;
  d.chain_id = 31337;
  d.verifying_contract = Bytes(20, 0xaa);
  return d;
}

inline Bytes text_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

inline Bytes sign(ByteView key, const Domain& domain, ByteView struct_hash) {
  return crypto::eth_sign_digest(key, crypto::eip712::typed_data_digest(crypto::eip712::domain_separator(domain), struct_hash));
}

struct User {
  SecretBytes key = crypto::secp256k1_generate_private_key();
  Address address = address_from_bytes(crypto::eth_address(key));
  std::string hex = format_address(address);

  /// A command signed by this user (or by `signer` when given: a re-signed command).
  SignedCommand command(uint64_t nonce, const std::string& payload, const Domain& domain = test_domain(),
                        const User* signer = nullptr) const {
    SignedCommand c;
    c.sender = address;
    c.nonce = nonce;
    c.payload = text_bytes(payload);
    const Bytes hash = crypto::eip712::command_struct_hash(address, nonce, crypto::keccak256(c.payload));
    c.signature = sign(signer ? signer->key : key, domain, hash);
    return c;
  }
};

/// enc ‖ ciphertext of `plaintext`, padded to kEnvelopeBuckets, to `recipient` with `info`, as a
/// client seals it.
inline Bytes client_seal(ByteView recipient, const char* info, const std::string& plaintext) {
  const Bytes padded = pad_to_bucket(ByteView::from_string(plaintext), kEnvelopeBuckets);
  const crypto::hpke::Sealed s =
      crypto::hpke::seal(crypto::hpke::kDefaultSuite, recipient, ByteView::from_string(info), ByteView(), padded);
  return concat({s.enc, s.ciphertext});
}

/// The padded plaintext of enc ‖ ciphertext sealed to a client key (its length is what the host sees).
inline Bytes client_open_padded(ByteView sealed, ByteView private_key, const char* info) {
  return crypto::hpke::open(crypto::hpke::kDefaultSuite, sealed.subview(0, 32), private_key, ByteView::from_string(info),
                            ByteView(), sealed.subview(32, sealed.size() - 32));
}

/// Opens enc ‖ ciphertext sealed to a client key and strips the padding, as the client SDK does.
inline std::string client_open(ByteView sealed, ByteView private_key, const char* info) {
  const std::optional<SecretBytes> plain = unpad(client_open_padded(sealed, private_key, info));
  if (!plain) throw Error(ErrorCode::kDecodeError, "reply is not padded");
  return std::string(reinterpret_cast<const char*>(plain->data()), plain->size());
}

inline std::string transfer(const User& to, const std::string& amount) {
  return R"({"op":"transfer","to":")" + to.hex + R"(","amount":")" + amount + "\"}";
}

inline std::string init_token(const std::string& supply) {
  return R"({"op":"init","name":"Anonify Token","symbol":"ANT","initialSupply":")" + supply + "\"}";
}

}  // namespace anonify::runtime::fixtures
