// Protocol methods that serve users' clients without touching enclave secrets beyond their
// purpose: `secure_echo` (end-to-end HPKE round trip, signed by the attested key) and `eip712_hash`
// (the enclave's EIP-712 hashing and signer recovery over public data). PROTOCOL.md explains why
// neither can leak a secret or produce a signature the group contract would accept.
#include <string>

#include "anonify/crypto/aead.h"
#include "anonify/crypto/eip712.h"
#include "anonify/crypto/hpke.h"
#include "anonify/crypto/keccak.h"
#include "anonify/crypto/secp256k1.h"
#include "anonify/enclave/methods.h"

namespace anonify::enclave {

namespace {

using protocol::hex_param;
using protocol::Params;
namespace eip712 = crypto::eip712;
namespace hpke = crypto::hpke;

constexpr char kEchoRequestInfo[] = "anonify/secure_echo/request/v1";
constexpr char kEchoReplyInfo[] = "anonify/secure_echo/reply/v1";
constexpr size_t kMaxEchoMessage = 4096;
constexpr size_t kMaxEchoCiphertext = kMaxEchoMessage + 32 + crypto::kAeadTagSize;

eip712::Domain parse_domain(const Params& params) {
  Params d = params.object("domain");
  eip712::Domain domain;
  if (auto name = d.optional_string("name")) domain.name = *name;
  if (auto version = d.optional_string("version")) domain.version = *version;
  domain.chain_id = d.u64("chainId");
  domain.verifying_contract = d.bytes("verifyingContract", crypto::kEthAddressSize);
  return domain;
}

Bytes struct_hash(const std::string& type, const Params& m) {
  if (type == "Handshake") return eip712::handshake_struct_hash(m.u64("epoch"), m.bytes("handshakeHash", 32));
  if (type == "Ciphertext") {
    return eip712::ciphertext_struct_hash(m.u64("epoch"), m.u64("sequence"), m.bytes("payloadHash", 32));
  }
  if (type == "CiphertextBatch") {
    return eip712::ciphertext_batch_struct_hash(m.u64("epoch"), m.u64("firstSequence"), m.bytes("payloadsHash", 32));
  }
  if (type == "Snapshot") return eip712::snapshot_struct_hash(m.u64("epoch"), m.u64("stateCounter"), m.bytes("payloadHash", 32));
  if (type == "Checkpoint") {
    return eip712::checkpoint_struct_hash(m.u64("stateCounter"), m.bytes("stateHash", 32), m.bytes("logHash", 16));
  }
  if (type == "Command") return eip712::command_struct_hash(m.bytes("sender", 20), m.u64("nonce"), m.bytes("payloadHash", 32));
  if (type == "EchoReply") return eip712::echo_reply_struct_hash(m.bytes("requestHash", 32), m.bytes("replyHash", 32));
  throw Error(ErrorCode::kInvalidParams,
              "params.primaryType must be one of Handshake, Ciphertext, CiphertextBatch, Snapshot, Checkpoint, Command, EchoReply");
}

}  // namespace

ANONIFY_PROTOCOL_METHOD(eip712_hash)(Enclave&, const Params& params) {
  Bytes separator = eip712::domain_separator(parse_domain(params));
  Bytes hash = struct_hash(params.string("primaryType"), params.object("message"));
  Bytes digest = eip712::typed_data_digest(separator, hash);
  Json result{{"domainSeparator", hex_param(separator)}, {"structHash", hex_param(hash)}, {"digest", hex_param(digest)}};
  if (auto signature = params.optional_bytes("signature", crypto::kEthSignatureSize)) {
    result["signer"] = hex_param(crypto::eth_recover_address(digest, *signature));
  }
  return result;
}

ANONIFY_PROTOCOL_METHOD(secure_echo)(Enclave& enclave, const Params& params) {
  const Identity& identity = require_identity(enclave);
  eip712::Domain domain = parse_domain(params);
  Bytes enc = params.bytes("enc", hpke::kEncSize);
  Bytes ciphertext = params.bytes("ciphertext");
  if (ciphertext.size() > kMaxEchoCiphertext) {
    throw Error(ErrorCode::kInvalidParams, "params.ciphertext is longer than " + std::to_string(kMaxEchoCiphertext) + " bytes");
  }
  SecretBytes request;  // the user's message: wiped after the reply is sealed
  try {
    request = SecretBytes(hpke::open(hpke::kDefaultSuite, enc, identity.hpke_key(), ByteView::from_string(kEchoRequestInfo), {},
                                     ciphertext));
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kAuthenticationFailed && e.code() != ErrorCode::kInvalidKey) throw;
    throw Error(ErrorCode::kAuthenticationFailed, "secure_echo request does not decrypt under the enclave's HPKE key");
  }
  if (request.size() < hpke::kEncSize) {
    throw Error(ErrorCode::kInvalidMessage, "secure_echo request must start with a 32-byte reply public key");
  }
  ByteView reply_key = request.view().subview(0, hpke::kEncSize);
  ByteView message = request.view().subview(hpke::kEncSize, request.size() - hpke::kEncSize);

  Bytes request_hash = crypto::keccak256(concat({enc, ciphertext}));
  // The reply is bound to its request through the AAD, so it cannot be passed off as another's.
  hpke::Sealed reply =
      hpke::seal(hpke::kDefaultSuite, reply_key, ByteView::from_string(kEchoReplyInfo), request_hash, message);
  Bytes reply_hash = crypto::keccak256(concat({reply.enc, reply.ciphertext}));
  Bytes digest = eip712::typed_data_digest(eip712::domain_separator(domain),
                                           eip712::echo_reply_struct_hash(request_hash, reply_hash));
  return Json{{"enc", hex_param(reply.enc)},
              {"ciphertext", hex_param(reply.ciphertext)},
              {"requestHash", hex_param(request_hash)},
              {"replyHash", hex_param(reply_hash)},
              {"signature", hex_param(crypto::eth_sign_digest(identity.secp256k1_private_key(), digest))},
              {"signer", hex_param(identity.eth_address())}};
}

}  // namespace anonify::enclave
