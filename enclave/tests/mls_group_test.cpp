#include "anonify/mls/group.h"

#include <memory>

#include "anonify/mls/mls_error.h"
#include "mls_group_test_util.h"
#include "mls_test_util.h"

namespace anonify::mls {
namespace {

using testing::reason_of;

// Members simulated in one process, all applying one handshake log in order.
class SimulatedGroup {
 public:
  explicit SimulatedGroup(const Bytes& group_id) {
    members_.push_back(std::make_unique<Group>(Group::create(group_id, testing::named_identity("member-0"))));
    public_group_info_ = members_[0]->group_info(true);
  }

  // Every current member applies `commit`; the committer (if staged) adopts its own epoch.
  void apply_everywhere(const CommitOutput& out) {
    for (auto& m : members_) {
      if (m) m->process_handshake(out.commit, &out.group_info);
    }
    public_group_info_ = out.group_info;
  }

  size_t join(const std::string& name) {
    CommitOutput out;
    // Public state: the latest GroupInfo plus the tree any member (or a log follower) exposes.
    Group joiner = Group::join_external(public_group_info_, any_member().ratchet_tree(), testing::named_identity(name), out);
    EXPECT_FALSE(joiner.is_member());
    apply_everywhere(out);
    joiner.process_handshake(out.commit, &out.group_info);
    EXPECT_TRUE(joiner.is_member());
    members_.push_back(std::make_unique<Group>(std::move(joiner)));
    return members_.size() - 1;
  }

  void update(size_t who) { apply_everywhere(members_[who]->commit_update()); }

  void remove(size_t who, size_t victim) {
    const LeafIndex leaf = members_[victim]->own_leaf();
    const CommitOutput out = members_[who]->commit_remove({leaf});
    const HandshakeResult r = members_[victim]->process_handshake(out.commit);
    EXPECT_EQ(r.outcome, HandshakeOutcome::kRemovedFromGroup);
    EXPECT_FALSE(members_[victim]->is_member());
    members_[victim].reset();
    apply_everywhere(out);
  }

  void expect_agreement() {
    const Group& ref = any_member();
    const Bytes auth = ref.epoch_authenticator();
    const Bytes exported = ref.export_secret("anonify state key", Bytes{1, 2}, 32).reveal();
    for (auto& m : members_) {
      if (!m) continue;
      EXPECT_EQ(m->epoch(), ref.epoch());
      EXPECT_EQ(m->epoch_authenticator(), auth);
      EXPECT_EQ(m->export_secret("anonify state key", Bytes{1, 2}, 32).reveal(), exported);
      EXPECT_EQ(m->tree().root_tree_hash(), ref.tree().root_tree_hash());
    }
  }

  Group& member(size_t i) { return *members_.at(i); }
  const Group& any_member() const {
    for (const auto& m : members_) {
      if (m) return *m;
    }
    throw std::logic_error("no members");
  }
  std::vector<std::unique_ptr<Group>>& members() { return members_; }
  const Bytes& public_group_info() const { return public_group_info_; }
  void set_public_group_info(Bytes info) { public_group_info_ = std::move(info); }

 private:
  std::vector<std::unique_ptr<Group>> members_;
  Bytes public_group_info_;
};

TEST(MlsGroup, MembersJoinUpdateAndRemoveInLogOrderAndAgree) {
  SimulatedGroup g(Bytes{'a', 'n', 'o', 'n'});
  g.expect_agreement();
  for (int i = 1; i <= 5; ++i) {
    g.join("member-" + std::to_string(i));
    g.expect_agreement();
  }
  EXPECT_EQ(g.member(0).member_count(), 6U);
  g.update(3);
  g.expect_agreement();
  g.remove(0, 2);
  g.expect_agreement();
  EXPECT_EQ(g.member(0).member_count(), 5U);
  g.update(5);
  g.remove(4, 1);
  g.expect_agreement();
  const size_t late = g.join("member-6");  // takes the leftmost free leaf
  EXPECT_EQ(g.member(late).own_leaf(), 1U);
  g.update(late);
  g.expect_agreement();
  EXPECT_EQ(g.member(0).epoch(), 11U);

  // Application messages between members of the current epoch.
  const Bytes wire = g.member(3).protect(Bytes{'h', 'i'}, Bytes{'a', 'd'});
  const ApplicationMessage got = g.member(late).unprotect(wire);
  EXPECT_EQ(got.sender, g.member(3).own_leaf());
  EXPECT_EQ(got.data, (Bytes{'h', 'i'}));
  EXPECT_EQ(got.authenticated_data, (Bytes{'a', 'd'}));
  EXPECT_EQ(reason_of([&] { g.member(late).unprotect(wire); }), Reason::kGenerationTooOld);  // replay
}

TEST(MlsGroup, RejectsStaleForgedAndForeignHandshakesWithoutStateChange) {
  SimulatedGroup g(Bytes{'g', '1'});
  g.join("b");
  g.join("c");
  Group& a = g.member(0);
  Group& b = g.member(1);
  Group& c = g.member(2);

  const CommitOutput first = b.commit_update();
  g.apply_everywhere(first);
  const Bytes before = c.serialize().reveal();
  const Bytes auth = c.epoch_authenticator();

  // Replaying an applied commit: stale.
  EXPECT_EQ(reason_of([&] { c.process_handshake(first.commit); }), Reason::kStaleEpoch);

  // A commit tampered after signing: the membership tag breaks.
  CommitOutput next = a.commit_update();
  Bytes tampered = next.commit;
  tampered[tampered.size() / 2] ^= 0x01;
  const Reason tamper_reason = reason_of([&] { c.process_handshake(tampered); });
  EXPECT_TRUE(tamper_reason == Reason::kBadMembershipTag || tamper_reason == Reason::kMalformed);

  // A forged signature on a commit without membership tag (an external join): bad signature.
  CommitOutput join_out;
  Group joiner = Group::join_external(a.group_info(true), Bytes{}, testing::named_identity("mallory"), join_out);
  MlsMessage forged = MlsMessage::from_bytes(join_out.commit);
  std::get<PublicMessage>(forged.body).auth.signature[0] ^= 0x01;
  EXPECT_EQ(reason_of([&] { c.process_handshake(forged.to_bytes()); }), Reason::kBadSignature);
  // A tampered membership tag on a member commit.
  MlsMessage bad_tag = MlsMessage::from_bytes(next.commit);
  std::get<PublicMessage>(bad_tag.body).membership_tag[0] ^= 0x01;
  EXPECT_EQ(reason_of([&] { c.process_handshake(bad_tag.to_bytes()); }), Reason::kBadMembershipTag);

  // A commit from another group.
  SimulatedGroup other(Bytes{'g', '2'});
  other.join("x");
  const CommitOutput foreign = other.member(0).commit_update();
  EXPECT_EQ(reason_of([&] { c.process_handshake(foreign.commit); }), Reason::kWrongGroup);

  // Garbage bytes.
  EXPECT_EQ(reason_of([&] { c.process_handshake(Bytes{0x00, 0x01, 0x00}); }), Reason::kMalformed);

  EXPECT_EQ(c.serialize().reveal(), before);  // nothing above changed c
  EXPECT_EQ(c.epoch_authenticator(), auth);

  // The genuine commit still applies afterwards, everywhere.
  g.apply_everywhere(next);
  g.expect_agreement();

  // A commit for an epoch b has not reached: a clone of c moves on and commits.
  Group c_clone = Group::deserialize(c.serialize());
  const CommitOutput from_a = a.commit_update();
  c_clone.process_handshake(from_a.commit);
  const CommitOutput ahead = c_clone.commit_update();
  EXPECT_EQ(reason_of([&] { b.process_handshake(ahead.commit); }), Reason::kFutureEpoch);
  g.apply_everywhere(from_a);
  g.expect_agreement();
}

TEST(MlsGroup, StagedCommitsAreSupersededBySomeoneElsesAndSurviveSerialization) {
  SimulatedGroup g(Bytes{'s', 't'});
  g.join("b");
  g.join("c");
  Group& a = g.member(0);
  Group& b = g.member(1);

  const CommitOutput from_a = a.commit_update();
  const CommitOutput from_b = b.commit_update();
  EXPECT_TRUE(a.has_staged_commit());
  // The log orders b's commit first: a applies it and drops its own staged commit.
  g.apply_everywhere(from_b);
  EXPECT_FALSE(a.has_staged_commit());
  g.expect_agreement();
  for (auto& m : g.members()) {
    EXPECT_EQ(reason_of([&] { m->process_handshake(from_a.commit); }), Reason::kStaleEpoch);
  }

  // A staged commit survives a seal/restore cycle and is recognised when it reaches the log.
  const CommitOutput staged = g.member(2).commit_update();
  Group restored = Group::deserialize(g.member(2).serialize());
  EXPECT_TRUE(restored.has_staged_commit());
  g.member(2) = std::move(restored);
  EXPECT_EQ(g.member(2).process_handshake(staged.commit).outcome, HandshakeOutcome::kOwnCommitApplied);
  for (size_t i = 0; i < 2; ++i) g.member(i).process_handshake(staged.commit);
  g.set_public_group_info(staged.group_info);
  g.expect_agreement();

  // An external join overtaken by another commit must start again from the new public state.
  CommitOutput join_out;
  Group joiner = Group::join_external(g.public_group_info(), a.ratchet_tree(), testing::named_identity("late"), join_out);
  const CommitOutput winner = b.commit_update();
  EXPECT_EQ(reason_of([&] { joiner.process_handshake(winner.commit); }), Reason::kNotMember);
  g.apply_everywhere(winner);
  for (auto& m : g.members()) {
    EXPECT_EQ(reason_of([&] { m->process_handshake(join_out.commit); }), Reason::kStaleEpoch);
  }
  EXPECT_EQ(reason_of([&] { joiner.protect(Bytes{1}); }), Reason::kNotMember);
  g.join("late");
  g.expect_agreement();
}

TEST(MlsGroup, RefusesBadLocalRequestsAndBadPublicState) {
  SimulatedGroup g(Bytes{'r', 'q'});
  g.join("b");
  Group& a = g.member(0);
  EXPECT_EQ(reason_of([&] { a.commit_remove({}); }), Reason::kInvalidProposal);
  EXPECT_EQ(reason_of([&] { a.commit_remove({a.own_leaf()}); }), Reason::kInvalidProposal);
  EXPECT_EQ(reason_of([&] { a.commit_remove({7}); }), Reason::kInvalidProposal);
  EXPECT_EQ(reason_of([&] { a.commit_remove({1, 1}); }), Reason::kInvalidProposal);
  EXPECT_FALSE(a.has_staged_commit());

  // A GroupInfo whose signature was tampered with, or paired with another tree, is refused.
  MlsMessage info = MlsMessage::from_bytes(g.public_group_info());
  std::get<GroupInfo>(info.body).signature[3] ^= 0x10;
  CommitOutput out;
  EXPECT_EQ(reason_of([&] { Group::join_external(info.to_bytes(), a.ratchet_tree(), testing::named_identity("x"), out); }),
            Reason::kBadSignature);
  SimulatedGroup other(Bytes{'o', 't'});
  EXPECT_EQ(reason_of([&] {
              Group::join_external(g.public_group_info(), other.member(0).ratchet_tree(), testing::named_identity("x"), out);
            }),
            Reason::kInvalidTree);
  // The GroupInfo can carry the tree itself.
  Group via_extension = Group::join_external(a.group_info(true), Bytes{}, testing::named_identity("y"), out);
  EXPECT_EQ(via_extension.epoch(), a.epoch());

  // Application messages from another epoch or tampered ones are refused.
  const Bytes old_message = a.protect(Bytes{5});
  g.update(1);
  EXPECT_EQ(reason_of([&] { g.member(1).unprotect(old_message); }), Reason::kStaleEpoch);
  Bytes message = a.protect(Bytes{6});
  message.back() ^= 1;
  EXPECT_EQ(reason_of([&] { g.member(1).unprotect(message); }), Reason::kDecryptionFailed);
  const Bytes good = a.protect(Bytes{7});
  EXPECT_EQ(g.member(1).unprotect(good).data, Bytes{7});  // the failed attempt consumed nothing
}

}  // namespace
}  // namespace anonify::mls
