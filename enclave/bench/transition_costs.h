// Which primitives, how many times, one transition performs: the "limit" is 1 / the sum of their
// raw costs. Counted from the code path (state_methods.cpp, envelope.cpp, ledger.cpp, hpke.cpp,
// eip712.cpp, sealing.cpp); constants (EIP-712 type hashes, the domain separator of the log's
// domain) are not counted, as a transition need not recompute them.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "primitives.h"

namespace anonify::bench {

struct CostTerm {
  std::string primitive;  ///< PrimitiveResult::id
  double count;
  std::string note;
};

/// state_submit: open the user's HPKE command, check it, encrypt the entry, sign it.
inline std::vector<CostTerm> submit_costs() {
  return {
      {"x25519", 1, "HPKE Decap: DH(skR, enc)"},
      {"hkdf_extract", 4, "HPKE: eae_prk, psk_id_hash, info_hash, secret (RFC 9180 §4.1, §5.1)"},
      {"hkdf_expand", 4, "HPKE: shared_secret, key, base_nonce, exporter secret"},
      {"aes_open_command", 1, "HPKE open of the command body"},
      {"json_command", 1, "the command envelope"},
      {"keccak_block", 7, "payloadHash, Command struct, Command digest, signer address, commandId, Ciphertext struct, Ciphertext digest"},
      {"secp_recover", 1, "the user's EIP-712 signature"},
      {"rand_nonce", 1, "entry nonce"},
      {"aes_seal_entry", 1, "entry under the epoch key"},
      {"keccak_entry", 1, "payloadHash = keccak256(entry)"},
      {"secp_sign", 1, "Ciphertext EIP-712 digest"},
  };
}

/// state_apply: open the entry, re-verify the user's signature, apply, advance the log hash, hash
/// the state, seal it inside the store manifest (SealedStore::keep_inline: one blob, one file).
inline std::vector<CostTerm> apply_costs() {
  return {
      {"aes_open_entry", 1, "entry under the epoch key"},
      {"entry_decode", 1, "entry plaintext"},
      {"keccak_block", 5, "payloadHash, Command struct, Command digest, signer address, commandId"},
      {"secp_recover", 1, "re-verify the user's signature"},
      {"json_payload", 1, "the token command"},
      {"keccak_entry", 1, "log hash: keccak256(entry)"},
      {"keccak_block", 1, "log hash: keccak256(previous log hash ‖ entry hash)"},
      {"hmac_state", 1, "keyed state hash"},
      {"rand_nonce", 1, "sealing nonce of the store manifest"},
      {"aes256_seal_manifest", 1, "seal the store manifest, which carries the state and every blob's generation"},
      {"write_tmpfs", 1, "storage, not crypto: the store manifest's write"},
  };
}

inline const PrimitiveResult& find_primitive(const std::vector<PrimitiveResult>& all, const std::string& id) {
  for (const PrimitiveResult& p : all) {
    if (p.id == id) return p;
  }
  throw std::runtime_error("no primitive " + id);
}

/// Sum of count x median cost, on each clock.
inline Timing limit_of(const std::vector<PrimitiveResult>& all, const std::vector<CostTerm>& terms) {
  Timing sum;
  for (const CostTerm& t : terms) {
    const TimingStat& s = find_primitive(all, t.primitive).stat;
    sum.wall_us += t.count * s.wall.median_us;
    sum.cpu_us += t.count * s.cpu.median_us;
  }
  return sum;
}

}  // namespace anonify::bench
