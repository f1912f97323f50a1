// libFuzzer harness for the semantic checks of handshakes from the log (what mls_process_handshake
// and mls_follow run): the input is a Commit body that the harness frames, signs and tags as its
// author would (see mls_fixture.h), so edits get past the signature and the membership tag and
// reach proposal validation, UpdatePath checks, path decryption, tree and transcript updates.
// Each message goes to a member that stays (alice), a member some templates remove (carol), a
// follower of the public state, and public_state_after of a member (carol) and of a staged
// external join (dave): what an enclave follows the log with once removed or superseded.
//
// Input: byte 0 picks the template (update, remove, remove-committer, external-join), the rest is
// the TLS encoding of a Commit.
//
// Invariants: no crash/UB; a Commit that decodes re-encodes to the same bytes; refusals are
// anonify::Error (MlsError) and nothing else; and nobody accepts an entry whose commit differs
// from the template's: the confirmation tag and the GroupInfo bind every byte of it. (A member
// that the commit removes learns only that: it accepts the entry as mls_process_handshake does,
// when the public-state check of the whole entry passes too.)
#include "mls_fixture.h"

using namespace anonify;
using anonify::fuzz::MlsFixture;

namespace {

// Applies `message` with `apply`; true if accepted, false on a refusal (any anonify::Error).
template <typename Apply>
bool accepted(Apply&& apply) {
  try {
    apply();
    return true;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  MlsFixture& f = MlsFixture::get();
  std::vector<std::pair<std::string, Bytes>> seeds;
  for (size_t i = 0; i < f.templates.size(); ++i) {
    seeds.emplace_back(f.templates[i].name, fuzz::seed({static_cast<uint8_t>(i)}, f.templates[i].body));
  }
  fuzz::write_seeds_if_asked(seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  MlsFixture& f = MlsFixture::get();
  const fuzz::HandshakeTemplate& t = f.templates[data[0] % f.templates.size()];
  const Bytes body(data + 1, data + size);
  mls::Commit commit;
  try {
    commit = mls::tls_decode<mls::Commit>(body, "Commit");
  } catch (const Error&) {
    return 0;  // the codec harness covers malformed encodings
  }
  fuzz::require_roundtrip("Commit", body, mls::tls_encode(commit));

  const Bytes message = f.resign(t, commit);
  const Bytes& group_info = t.output.group_info;
  const bool by_alice = accepted([&] { f.alice.clone().process_handshake(message, &group_info); });
  // A removed member cannot check the confirmation tag (the path is not encrypted to it): like
  // mls_process_handshake, it accepts its removal only if the follower check of the entry passes.
  const bool by_carol = accepted([&] {
    if (f.carol.clone().process_handshake(message, &group_info).outcome == mls::HandshakeOutcome::kRemovedFromGroup) {
      f.carol.public_state_after(message, group_info);
    }
  });
  const bool by_follower = accepted([&] {
    mls::PublicGroup follower = f.follower;
    follower.apply(message, group_info);
  });
  // What a removed member, or one whose external join was superseded, follows the log with.
  const bool after_removal = accepted([&] { f.carol.public_state_after(message, group_info); });
  const bool after_superseded = accepted([&] { f.dave_joining.public_state_after(message, group_info); });
  if ((by_alice || by_carol || by_follower || after_removal || after_superseded) && body != t.body) {
    fuzz::fail("handshake", t.name + ": an edited commit was accepted (alice " + std::to_string(by_alice) +
                                ", carol " + std::to_string(by_carol) + ", follower " + std::to_string(by_follower) +
                                ", public_state_after " + std::to_string(after_removal) + "/" +
                                std::to_string(after_superseded) + ")\n  body: " + to_hex(body));
  }
  return 0;
}
