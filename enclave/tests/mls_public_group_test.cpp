#include "anonify/mls/public_group.h"

#include "anonify/mls/group.h"
#include "anonify/mls/mls_error.h"
#include "mls_group_test_util.h"
#include "mls_test_util.h"

namespace anonify::mls {
namespace {

using testing::reason_of;

// A log follower with no secrets tracks the group and lets newcomers join from its state alone.
TEST(MlsPublicGroup, RebuildsPublicStateFromTheHandshakeLogAndAdmitsExternalJoins) {
  Group creator = Group::create(Bytes{'p', 'g'}, testing::named_identity("creator"));
  PublicGroup follower = PublicGroup::from_group_info(creator.group_info(true), Bytes{});
  std::vector<Group> members;
  members.push_back(std::move(creator));

  const auto post = [&](const CommitOutput& out) {
    follower.apply(out.commit, out.group_info);
    for (Group& m : members) m.process_handshake(out.commit, &out.group_info);
  };
  for (int i = 0; i < 4; ++i) {
    CommitOutput out;
    Group joiner = Group::join_external(follower.group_info(), follower.ratchet_tree(),
                                        testing::named_identity("joiner-" + std::to_string(i)), out);
    post(out);
    joiner.process_handshake(out.commit);
    members.push_back(std::move(joiner));
  }
  post(members[2].commit_update());
  post(members[1].commit_remove({members[3].own_leaf()}));
  members.erase(members.begin() + 3);
  post(members[0].commit_update());

  for (const Group& m : members) {
    EXPECT_EQ(m.context(), follower.context());
    EXPECT_EQ(m.epoch_authenticator(), members[0].epoch_authenticator());
  }
  EXPECT_EQ(follower.epoch(), 7U);
  EXPECT_EQ(follower.tree().member_count(), 4U);

  // A follower refuses a GroupInfo that does not match the commit, and stale commits; so does a
  // member (with and without its own commit staged), so followers and members never disagree.
  const CommitOutput next = members[1].commit_update();
  const CommitOutput other = members[2].commit_update();
  EXPECT_EQ(reason_of([&] { follower.apply(next.commit, other.group_info); }), Reason::kInvalidTree);
  EXPECT_EQ(follower.epoch(), 7U);
  for (Group& m : members) {
    const Bytes before = m.serialize().reveal();
    EXPECT_EQ(reason_of([&] { m.process_handshake(next.commit, &other.group_info); }), Reason::kInvalidTree);
    EXPECT_EQ(reason_of([&] { m.process_handshake(next.commit, &follower.group_info()); }), Reason::kInvalidTree);
    EXPECT_EQ(m.serialize().reveal(), before);
  }
  post(next);
  EXPECT_EQ(reason_of([&] { follower.apply(next.commit, next.group_info); }), Reason::kStaleEpoch);
  MlsMessage forged = MlsMessage::from_bytes(members[0].commit_update().commit);
  std::get<PublicMessage>(forged.body).auth.signature[1] ^= 1;
  EXPECT_EQ(reason_of([&] { follower.apply(forged.to_bytes(), next.group_info); }), Reason::kBadSignature);
}

// What a member (or a staged joiner) hands over when it leaves the group: the public state a
// follower reaches with the same entry, checked the same way.
TEST(MlsPublicGroup, PublicStateAfterAnEntryIsTheFollowersState) {
  Group creator = Group::create(Bytes{'p', 's'}, testing::named_identity("creator"));
  PublicGroup follower = PublicGroup::from_group_info(creator.group_info(true), Bytes{});
  CommitOutput joined;
  Group member = Group::join_external(follower.group_info(), follower.ratchet_tree(), testing::named_identity("member"), joined);
  follower.apply(joined.commit, joined.group_info);
  creator.process_handshake(joined.commit, &joined.group_info);
  member.process_handshake(joined.commit, &joined.group_info);

  CommitOutput staged;
  const Group joiner = Group::join_external(follower.group_info(), follower.ratchet_tree(), testing::named_identity("late"), staged);
  Group committer = creator.clone();
  const CommitOutput removal = committer.commit_remove({member.own_leaf()});
  EXPECT_EQ(creator.epoch(), 1U);  // the clone staged the commit, not the original
  EXPECT_FALSE(creator.has_staged_commit());

  PublicGroup expected = follower;
  expected.apply(removal.commit, removal.group_info);
  for (const Group* g : std::initializer_list<const Group*>{&member, &joiner}) {
    const Bytes before = g->serialize().reveal();
    const PublicGroup after = g->public_state_after(removal.commit, removal.group_info);
    EXPECT_EQ(after.context(), expected.context());
    EXPECT_EQ(after.group_info(), removal.group_info);
    EXPECT_EQ(after.ratchet_tree(), expected.ratchet_tree());
    EXPECT_EQ(reason_of([&] { g->public_state_after(removal.commit, joined.group_info); }), Reason::kInvalidTree);
    EXPECT_EQ(reason_of([&] { g->public_state_after(joined.commit, joined.group_info); }), Reason::kStaleEpoch);
    EXPECT_EQ(g->serialize().reveal(), before);
  }
  EXPECT_EQ(member.process_handshake(removal.commit, &removal.group_info).outcome, HandshakeOutcome::kRemovedFromGroup);
  EXPECT_EQ(reason_of([&] { member.public_state_after(removal.commit, removal.group_info); }), Reason::kNotMember);
}

TEST(MlsPublicGroup, ExternalPubExtensionAcceptsTheRfcAndTheBareForm) {
  const Bytes key(32, 0x42);
  EXPECT_EQ(encode_external_pub(key).size(), 33U);  // RFC 9420: HPKEPublicKey is opaque<V>
  EXPECT_EQ(decode_external_pub(encode_external_pub(key)), key);
  EXPECT_EQ(decode_external_pub(key), key);  // ts-mls 1.6.4 writes the bare key
  EXPECT_EQ(reason_of([&] { decode_external_pub(Bytes{0x05, 1, 2}); }), Reason::kMalformed);
  Bytes trailing = encode_external_pub(Bytes(16, 1));
  trailing.push_back(0);
  EXPECT_EQ(reason_of([&] { decode_external_pub(trailing); }), Reason::kMalformed);
}

}  // namespace
}  // namespace anonify::mls
