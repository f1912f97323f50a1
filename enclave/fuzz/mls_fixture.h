// The MLS fixture the MLS harnesses share, built the way the log builds a group: alice creates it,
// bob and carol join by external commit, every member applies every entry, and a follower
// (PublicGroup) tracks the public state. Then, without applying them, the handshakes the fuzzer
// starts from: an update by bob, bob removing carol, carol removing bob, and dave's external join.
//
// With DeterministicRandom installed first, every process builds byte-identical state, so seeds
// written by one run (real commits, GroupInfos, trees) are valid for the next.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "anonify/mls/group.h"
#include "anonify/mls/handshake_entry.h"
#include "anonify/mls/mls_error.h"
#include "anonify/mls/public_group.h"
#include "fuzz_util.h"
#include "mls/group_state.h"

namespace anonify::fuzz {

// A handshake for the fixture's current epoch, with what is needed to re-sign an edited copy.
struct HandshakeTemplate {
  std::string name;
  mls::CommitOutput output;
  mls::PublicMessage message;  // decoded output.commit
  Bytes body;                  // TLS encoding of its Commit
  SecretBytes signer_key;      // the author's signature private key
};

struct MlsFixture {
  mls::Group alice;
  mls::Group carol;
  mls::Group dave_joining;  // dave's external join, staged: any other entry supersedes it
  mls::PublicGroup follower;
  SecretBytes membership_key;  // of the current epoch (members' senders carry a membership tag)
  std::vector<HandshakeTemplate> templates;

  static MlsFixture& get() {
    static MlsFixture fixture = build();
    return fixture;
  }

  // An enclave identity that tries external joins from fuzzed GroupInfos.
  static const mls::MemberIdentity& joiner() {
    get();  // installs the deterministic random source first
    static const mls::MemberIdentity erin = identity("erin");
    return erin;
  }

  // Re-signs `t` with `body` (a Commit encoding) in place of its commit, as its author would.
  Bytes resign(const HandshakeTemplate& t, const mls::Commit& body) const {
    mls::AuthenticatedContent ac;
    ac.wire_format = mls::WireFormat::kPublicMessage;
    ac.content = t.message.content;
    ac.content.body = body;
    ac.auth.confirmation_tag = t.message.auth.confirmation_tag;  // the edit breaks it: checked last
    ac.sign(t.signer_key, &alice.context());
    return mls::MlsMessage{mls::protect_public(ac, membership_key, alice.context())}.to_bytes();
  }

 private:
  static mls::MemberIdentity identity(const std::string& name) {
    return mls::MemberIdentity{mls::Credential::basic(Bytes(name.begin(), name.end())),
                               mls::generate_signature_key_pair()};
  }

  static mls::Group join(std::vector<mls::Group*> members, const std::string& name) {
    mls::CommitOutput out;
    mls::Group joiner = mls::Group::join_external(members.front()->group_info(true), {}, identity(name), out);
    for (mls::Group* member : members) member->process_handshake(out.commit, &out.group_info);
    joiner.process_handshake(out.commit, &out.group_info);
    return joiner;
  }

  static HandshakeTemplate make_template(std::string name, mls::CommitOutput output, const SecretBytes& signer_key) {
    HandshakeTemplate t{std::move(name), std::move(output), {}, {}, signer_key};
    const mls::MlsMessage decoded = mls::MlsMessage::from_bytes(t.output.commit);
    t.message = std::get<mls::PublicMessage>(decoded.body);
    t.body = mls::tls_encode(std::get<mls::Commit>(t.message.content.body));
    return t;
  }

  static MlsFixture build() {
    DeterministicRandom::install();
    const Bytes group_id{'f', 'u', 'z', 'z'};
    mls::MemberIdentity alice_id = identity("alice");
    mls::Group alice = mls::Group::create(group_id, alice_id);
    mls::CommitOutput genesis{{}, alice.group_info(true)};
    mls::PublicGroup follower = mls::PublicGroup::from_group_info(genesis.group_info, {});
    mls::MemberIdentity bob_id = identity("bob");
    mls::MemberIdentity carol_id = identity("carol");

    mls::CommitOutput bob_join;
    mls::Group bob = mls::Group::join_external(alice.group_info(true), {}, bob_id, bob_join);
    alice.process_handshake(bob_join.commit, &bob_join.group_info);
    bob.process_handshake(bob_join.commit, &bob_join.group_info);
    follower.apply(bob_join.commit, bob_join.group_info);

    mls::CommitOutput carol_join;
    mls::Group carol = mls::Group::join_external(alice.group_info(true), {}, carol_id, carol_join);
    for (mls::Group* g : {&alice, &bob}) g->process_handshake(carol_join.commit, &carol_join.group_info);
    carol.process_handshake(carol_join.commit, &carol_join.group_info);
    follower.apply(carol_join.commit, carol_join.group_info);

    // The membership key of the current epoch, read from a member's serialized state.
    const SecretBytes serialized = alice.serialize();
    mls::TlsReader r(serialized.data(), serialized.size());
    r.u8();  // serialization version
    r.u8();  // full proposal mode
    r.u8();  // admission required
    r.vector();  // external PSKs
    const mls::EpochState current = mls::EpochState::decode(r);

    std::vector<HandshakeTemplate> templates;
    templates.push_back(make_template("update", bob.clone().commit_update(), bob_id.signature_keys.private_key));
    templates.push_back(make_template("remove", bob.clone().commit_remove({carol.own_leaf()}),
                                      bob_id.signature_keys.private_key));
    templates.push_back(make_template("remove-committer", carol.clone().commit_remove({bob.own_leaf()}),
                                      carol_id.signature_keys.private_key));
    mls::MemberIdentity dave_id = identity("dave");
    mls::CommitOutput dave_join;
    mls::Group dave = mls::Group::join_external(alice.group_info(true), {}, dave_id, dave_join);
    templates.push_back(make_template("external-join", dave_join, dave_id.signature_keys.private_key));

    MlsFixture f{std::move(alice), std::move(carol), std::move(dave), std::move(follower), current.secrets.membership_key,
                 std::move(templates)};
    // The oracle is not vacuous: every unedited template is a valid next entry for everyone.
    for (const HandshakeTemplate& t : f.templates) {
      if (f.resign(t, std::get<mls::Commit>(t.message.content.body)) != t.output.commit) {
        fail("fixture", t.name + ": re-signing the unedited commit changes it");
      }
      f.alice.clone().process_handshake(t.output.commit, &t.output.group_info);
      mls::PublicGroup follower_copy = f.follower;
      follower_copy.apply(t.output.commit, t.output.group_info);
    }
    return f;
  }
};

}  // namespace anonify::fuzz
