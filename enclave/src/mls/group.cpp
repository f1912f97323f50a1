#include "anonify/mls/group.h"

#include <set>
#include <string>

#include "anonify/crypto/hpke.h"
#include "anonify/mls/mls_error.h"
#include "anonify/mls/tree_validation.h"
#include "group_state.h"

namespace anonify::mls {

namespace {

constexpr uint8_t kSerializationVersion = 2;  // 2: admission_required

// The full RFC 9420 proposal set (Add, Update, PSK and GroupContextExtensions by reference,
// commits without a path, standalone proposals), external PSKs and Welcome joins serve the interop
// vectors only: compiled in with ANONIFY_MLS_INTEROP (the test binary), never into anonify-enclave
// (enclave/CMakeLists.txt), where they cannot be enabled, not even by a sealed group state.
#if ANONIFY_MLS_INTEROP
constexpr bool kInteropBuild = true;
#else
constexpr bool kInteropBuild = false;
#endif
constexpr const char* kInteropCompiledOut =
    "RFC 9420 interop features (full proposal set, external PSKs, Welcome) are compiled out of this build";

LeafNode own_leaf_template(const EpochState& s) {
  LeafNode leaf;
  leaf.signature_key = s.signature_public_key;
  leaf.credential = s.credential;
  leaf.capabilities = Capabilities::anonify_default();
  leaf.source = LeafNodeSource::kCommit;
  return leaf;
}

// Builds, signs and stages a commit of `proposals` plus a fresh path from our leaf.
// With `extensions` (a GroupContextExtensions proposal among `proposals`), the new epoch's context
// carries them, and in a group under an admission the commit is first checked as every member will
// check it (the admission and its context change rule): an enclave never stages a commit its group
// refuses. (A group without one, e.g. a test client's, stages what it is asked to.)
CommitOutput stage_member_commit(GroupState& g, std::vector<ProposalOrRef> proposals,
                                 const std::vector<LeafIndex>& removed,
                                 const std::optional<ExtensionList>& extensions = std::nullopt,
                                 const Bytes& authenticated_data = {}) {
  const EpochState& prev = g.current;
  EpochState next = prev;
  for (LeafIndex l : removed) next.tree.remove_leaf(l);
  const LeafIndex self = prev.tree_private.index();
  CreatedPath created = create_update_path(next.tree, self, *prev.tree.leaf(self), prev.signature_private_key,
                                           prev.context.group_id,
                                           [&](const RatchetTree& t) {
                                             return provisional_context(prev, t, extensions).to_bytes();
                                           });
  AuthenticatedContent ac;
  ac.wire_format = WireFormat::kPublicMessage;
  ac.content.group_id = prev.context.group_id;
  ac.content.epoch = prev.context.epoch;
  ac.content.sender = Sender{SenderType::kMember, self};
  ac.content.authenticated_data = authenticated_data;
  ac.content.body = Commit{std::move(proposals), std::move(created.path)};
  ac.sign(prev.signature_private_key, &prev.context);
  finish_epoch(next, prev, ac, prev.secrets.init_secret, created.commit_secret, false, ByteView(), extensions);
  if (extensions && g.admission_required) {
    RatchetTree judged = prev.tree;
    apply_commit_public(judged, ac, prev.context, g.full_proposals, nullptr, admission_for(g));
    if (judged.root_tree_hash() != next.tree.root_tree_hash()) fail(Reason::kInternal, "staged tree differs from the judged one");
  }
  next.tree_private = std::move(created.private_state);

  CommitOutput out;
  out.commit = MlsMessage{protect_public(ac, prev.secrets.membership_key, prev.context)}.to_bytes();
  out.group_info = make_group_info(next, false);
  g.staged_commit = out.commit;
  g.staged = std::move(next);
  return out;
}

}  // namespace

Group::Group(std::unique_ptr<GroupState> state) : state_(std::move(state)) {}
Group::Group(Group&&) noexcept = default;
Group& Group::operator=(Group&&) noexcept = default;
Group::~Group() = default;

Group Group::clone() const { return Group(std::make_unique<GroupState>(*state_)); }

Group Group::create(const Bytes& group_id, MemberIdentity identity, const ExtensionList& context_extensions,
                     const LeafAdmission* admission) {
  auto g = std::make_unique<GroupState>();
  g->admission_required = admission != nullptr;
  g->admission = admission;
  EpochState& s = g->current;
  s.member = true;
  s.credential = identity.credential;
  s.signature_public_key = identity.signature_keys.public_key;
  s.signature_private_key = std::move(identity.signature_keys.private_key);

  crypto::hpke::KeyPair leaf_keys = generate_hpke_key_pair();
  LeafNode leaf = own_leaf_template(s);
  leaf.encryption_key = leaf_keys.public_key;
  leaf.source = LeafNodeSource::kKeyPackage;  // RFC 9420 section 11: the creator's leaf comes from its KeyPackage
  leaf.lifetime = Lifetime{0, UINT64_MAX};
  leaf.sign(s.signature_private_key, group_id, 0);
  s.tree = RatchetTree(std::move(leaf));
  s.tree_private = TreeKemPrivate(0, std::move(leaf_keys.private_key));

  s.context.group_id = group_id;
  s.context.epoch = 0;
  s.context.tree_hash = s.tree.root_tree_hash();
  s.context.extensions = context_extensions;
  if (admission != nullptr) admission->admit(*s.tree.leaf(0), 0, s.tree, s.context, LeafOrigin::kCreator);
  const SecretBytes init_secret = random_secret(kHashSize);
  s.secrets = derive_epoch_secrets(init_secret, zero_secret(), zero_secret(), s.context);
  s.confirmation_tag = confirmation_tag(s.secrets.confirmation_key, s.context.confirmed_transcript_hash);
  s.interim_transcript_hash = interim_transcript_hash(s.context.confirmed_transcript_hash, s.confirmation_tag);
  s.secret_tree = SecretTree(s.secrets.encryption_secret, s.tree.leaf_count());
  return Group(std::move(g));
}

Group Group::join_external(const Bytes& group_info, const Bytes& ratchet_tree, MemberIdentity identity,
                           CommitOutput& out, const LeafAdmission* admission) {
  const MlsMessage message = MlsMessage::from_bytes(group_info);
  const GroupInfo* gi = std::get_if<GroupInfo>(&message.body);
  if (gi == nullptr) fail(Reason::kMalformed, "expected an MLSMessage(GroupInfo)");
  const Extension* tree_ext = find_extension(gi->extensions, ExtensionType::kRatchetTree);
  if (ratchet_tree.empty() && tree_ext == nullptr) fail(Reason::kMalformed, "no ratchet tree given");
  RatchetTree tree = RatchetTree::from_bytes(ratchet_tree.empty() ? tree_ext->data : ratchet_tree);
  const Extension* pub_ext = find_extension(gi->extensions, ExtensionType::kExternalPub);
  if (pub_ext == nullptr) fail(Reason::kMalformed, "GroupInfo lacks the external_pub extension");
  const Bytes external_pub = decode_external_pub(pub_ext->data);

  const GroupContext& ctx = gi->group_context;
  require_supported(ctx);
  if (tree.root_tree_hash() != ctx.tree_hash) fail(Reason::kInvalidTree, "tree hash differs from the GroupInfo");
  if (!tree.parent_hashes_valid()) fail(Reason::kInvalidTree, "parent hashes do not verify");
  if (!tree.leaf_signatures_valid(ctx.group_id)) fail(Reason::kInvalidTree, "a leaf signature does not verify");
  validate_tree(tree, ctx);
  const LeafNode* signer = tree.leaf(gi->signer);
  if (signer == nullptr || !gi->verify(signer->signature_key)) fail(Reason::kBadSignature, "GroupInfo signature");
  if (tree.find_leaf_by_signature_key(identity.signature_keys.public_key)) {
    fail(Reason::kInvalidProposal, "this signature key is already a member");
  }
  if (admission != nullptr) {
    for (LeafIndex l = 0; l < tree.leaf_count(); ++l) {
      if (const LeafNode* member = tree.leaf(l)) admission->admit(*member, l, tree, ctx, LeafOrigin::kExistingMember);
    }
  }

  auto g = std::make_unique<GroupState>();
  g->admission_required = admission != nullptr;
  g->admission = admission;
  EpochState& prev = g->current;
  prev.member = false;
  prev.context = ctx;
  prev.tree = std::move(tree);
  prev.credential = identity.credential;
  prev.signature_public_key = identity.signature_keys.public_key;
  prev.signature_private_key = std::move(identity.signature_keys.private_key);
  prev.confirmation_tag = gi->confirmation_tag;
  prev.interim_transcript_hash = interim_transcript_hash(ctx.confirmed_transcript_hash, gi->confirmation_tag);

  crypto::hpke::SenderSetup hpke =
      crypto::hpke::setup_sender(crypto::hpke::kDefaultSuite, external_pub, ByteView());
  const SecretBytes init_secret = hpke.context.export_secret(ByteView::from_string(kExternalInitLabel), kHashSize);

  EpochState next = prev;
  LeafNode leaf = own_leaf_template(prev);
  leaf.encryption_key = Bytes(kHashSize, 0);  // replaced by the path's fresh key below
  const LeafIndex self = next.tree.add_leaf(leaf);
  CreatedPath created = create_update_path(next.tree, self, leaf, prev.signature_private_key, ctx.group_id,
                                           [&](const RatchetTree& t) { return provisional_context(prev, t).to_bytes(); });
  if (admission != nullptr) {
    // Our own leaf, as every member will judge it: on the tree the join creates.
    admission->admit(*next.tree.leaf(self), self, next.tree, ctx, LeafOrigin::kNewMember);
  }
  Commit commit;
  commit.proposals.push_back(ProposalOrRef{Proposal{ExternalInitProposal{hpke.enc}}});
  commit.path = std::move(created.path);

  AuthenticatedContent ac;
  ac.wire_format = WireFormat::kPublicMessage;
  ac.content.group_id = ctx.group_id;
  ac.content.epoch = ctx.epoch;
  ac.content.sender = Sender{SenderType::kNewMemberCommit, 0};
  ac.content.body = std::move(commit);
  ac.sign(prev.signature_private_key, &prev.context);
  finish_epoch(next, prev, ac, init_secret, created.commit_secret, false);
  next.tree_private = std::move(created.private_state);
  next.member = true;

  out.commit = MlsMessage{protect_public(ac, ByteView(), prev.context)}.to_bytes();
  out.group_info = make_group_info(next, false);
  g->staged_commit = out.commit;
  g->staged = std::move(next);
  return Group(std::move(g));
}

Group Group::join_welcome(const Bytes& welcome, const KeyPackage& key_package, ByteView init_private_key,
                         ByteView leaf_private_key, MemberIdentity identity, const Bytes& ratchet_tree,
                         const std::function<Bytes(const PreSharedKeyId&)>& find_psk) {
#if ANONIFY_MLS_INTEROP
  const MlsMessage message = MlsMessage::from_bytes(welcome);
  const Welcome* w = std::get_if<Welcome>(&message.body);
  if (w == nullptr) fail(Reason::kMalformed, "expected an MLSMessage(Welcome)");
  if (identity.signature_keys.public_key != key_package.leaf_node.signature_key) {
    fail(Reason::kInvalidProposal, "the signature key is not the KeyPackage's");
  }
  OpenedWelcome opened = open_welcome(*w, key_package, init_private_key, find_psk);
  const GroupInfo& gi = opened.group_info;
  const GroupContext& ctx = gi.group_context;

  const Extension* tree_ext = find_extension(gi.extensions, ExtensionType::kRatchetTree);
  if (ratchet_tree.empty() && tree_ext == nullptr) fail(Reason::kMalformed, "no ratchet tree given");
  RatchetTree tree = RatchetTree::from_bytes(ratchet_tree.empty() ? tree_ext->data : ratchet_tree);
  if (tree.root_tree_hash() != ctx.tree_hash) fail(Reason::kInvalidTree, "tree hash differs from the GroupInfo");
  if (!tree.parent_hashes_valid()) fail(Reason::kInvalidTree, "parent hashes do not verify");
  if (!tree.leaf_signatures_valid(ctx.group_id)) fail(Reason::kInvalidTree, "a leaf signature does not verify");
  validate_tree(tree, ctx);
  const LeafNode* signer = tree.leaf(gi.signer);
  if (signer == nullptr || !gi.verify(signer->signature_key)) fail(Reason::kBadSignature, "GroupInfo signature");

  std::optional<LeafIndex> self;
  for (LeafIndex l = 0; l < tree.leaf_count() && !self; ++l) {
    const LeafNode* leaf = tree.leaf(l);
    if (leaf != nullptr && *leaf == key_package.leaf_node) self = l;
  }
  if (!self) fail(Reason::kNotMember, "the KeyPackage's leaf is not in the tree");

  auto g = std::make_unique<GroupState>();
  EpochState& s = g->current;
  s.member = true;
  s.context = ctx;
  s.tree_private = TreeKemPrivate(*self, SecretBytes(leaf_private_key));
  if (opened.secrets.path_secret) {
    // The path secret is the one of the lowest common ancestor with the committer (the signer);
    // the rest of the committer's filtered direct path follows by derivation.
    const NodeIndex ancestor = tree_math::common_ancestor(tree_math::leaf_to_node(*self), tree_math::leaf_to_node(gi.signer));
    const std::vector<NodeIndex> path = tree.filtered_direct_path(gi.signer);
    auto it = std::find(path.begin(), path.end(), ancestor);
    if (it == path.end()) fail(Reason::kInvalidPath, "Welcome path secret for a node off the committer's path");
    SecretBytes path_secret = *opened.secrets.path_secret;
    for (; it != path.end(); ++it) {
      s.tree_private.set_path_secret(*it, path_secret);
      path_secret = derive_secret(path_secret, "path");
    }
  }
  if (!s.tree_private.consistent_with(tree)) fail(Reason::kInvalidPath, "private keys do not match the tree");
  s.tree = std::move(tree);
  s.credential = identity.credential;
  s.signature_public_key = identity.signature_keys.public_key;
  s.signature_private_key = std::move(identity.signature_keys.private_key);
  s.secrets = std::move(opened.epoch_secrets);
  s.confirmation_tag = gi.confirmation_tag;
  s.interim_transcript_hash = interim_transcript_hash(ctx.confirmed_transcript_hash, gi.confirmation_tag);
  s.secret_tree = SecretTree(s.secrets.encryption_secret, s.tree.leaf_count());
  return Group(std::move(g));
#else
  (void)welcome, (void)key_package, (void)init_private_key, (void)leaf_private_key, (void)identity, (void)ratchet_tree,
      (void)find_psk;
  fail(Reason::kUnsupported, kInteropCompiledOut);
#endif
}

PublicGroup Group::public_state_after(const Bytes& commit, const Bytes& group_info) const {
  const EpochState& s = state_->current;
  if (s.removed) fail(Reason::kNotMember, "this enclave was removed from the group");
  PublicGroup pg;
  pg.tree_ = s.tree;
  pg.context_ = s.context;
  pg.interim_transcript_hash_ = s.interim_transcript_hash;
  pg.apply(commit, group_info, state_->admission != nullptr ? state_->admission->context_change_rule() : nullptr);
  return pg;
}

Bytes Group::group_info(bool with_tree) const { return make_group_info(state_->current, with_tree); }

Bytes Group::ratchet_tree() const { return state_->current.tree.to_bytes(); }

CommitOutput Group::commit_update() {
  require_member(state_->current);
  return stage_member_commit(*state_, {}, {});
}

CommitOutput Group::commit_remove(const std::vector<LeafIndex>& removed) {
  const EpochState& s = state_->current;
  require_member(s);
  if (removed.empty()) fail(Reason::kInvalidProposal, "no leaf to remove");
  std::set<LeafIndex> seen;
  std::vector<ProposalOrRef> proposals;
  for (LeafIndex l : removed) {
    if (l == s.tree_private.index()) fail(Reason::kInvalidProposal, "a member cannot remove itself by commit");
    if (s.tree.leaf(l) == nullptr) fail(Reason::kInvalidProposal, "leaf " + std::to_string(l) + " is not a member");
    if (!seen.insert(l).second) fail(Reason::kInvalidProposal, "leaf " + std::to_string(l) + " listed twice");
    proposals.push_back(ProposalOrRef{Proposal{RemoveProposal{l}}});
  }
  return stage_member_commit(*state_, std::move(proposals), removed);
}

CommitOutput Group::commit_context_extensions(const ExtensionList& extensions, const Bytes& authenticated_data,
                                              const std::vector<LeafIndex>& removed) {
  const EpochState& s = state_->current;
  require_member(s);
  std::set<LeafIndex> seen;
  std::vector<ProposalOrRef> proposals;
  proposals.push_back(ProposalOrRef{Proposal{GroupContextExtensionsProposal{extensions}}});
  for (LeafIndex l : removed) {
    if (l == s.tree_private.index()) fail(Reason::kInvalidProposal, "a member cannot remove itself by commit");
    if (s.tree.leaf(l) == nullptr) fail(Reason::kInvalidProposal, "leaf " + std::to_string(l) + " is not a member");
    if (!seen.insert(l).second) fail(Reason::kInvalidProposal, "leaf " + std::to_string(l) + " listed twice");
    proposals.push_back(ProposalOrRef{Proposal{RemoveProposal{l}}});
  }
  return stage_member_commit(*state_, std::move(proposals), removed, extensions, authenticated_data);
}

void Group::set_leaf_admission(const LeafAdmission* admission) { state_->admission = admission; }

bool Group::admission_required() const { return state_->admission_required; }

void Group::set_full_proposal_support(bool enabled) {
  if (enabled && !kInteropBuild) fail(Reason::kUnsupported, kInteropCompiledOut);
  state_->full_proposals = enabled;
}

void Group::add_external_psk(const Bytes& psk_id, SecretBytes value) {
  if (!kInteropBuild) fail(Reason::kUnsupported, kInteropCompiledOut);
  state_->external_psks[psk_id] = std::move(value);
}

bool Group::has_staged_commit() const { return state_->staged.has_value(); }

HandshakeResult Group::process_handshake(const Bytes& message, const Bytes* published_group_info) {
  GroupState& g = *state_;
  if (g.staged && message == g.staged_commit) {
    if (published_group_info != nullptr) check_published_group_info(*g.staged, *published_group_info);
    g.current = std::move(*g.staged);
    g.staged.reset();
    g.staged_commit.clear();
    return HandshakeResult{HandshakeOutcome::kOwnCommitApplied, g.current.context.epoch, g.current.tree_private.index()};
  }
  const EpochState& prev = g.current;
  if (prev.removed) fail(Reason::kNotMember, "this enclave was removed from the group");
  if (!prev.member) {
    fail(Reason::kNotMember, "another handshake superseded our external join; rejoin from the new public state");
  }
  const MlsMessage decoded = MlsMessage::from_bytes(message);
  const PublicMessage* pm = std::get_if<PublicMessage>(&decoded.body);
  if (pm == nullptr) fail(Reason::kUnsupported, "handshakes travel as PublicMessages");
  check_epoch(prev, pm->content.group_id, pm->content.epoch);
  const ContentType type = pm->content.content_type();
  if (type == ContentType::kProposal && !g.full_proposals) fail(Reason::kUnsupported, "standalone proposals");
  if (type == ContentType::kCommit && pm->content.sender.type == SenderType::kMember &&
      pm->content.sender.index == prev.tree_private.index()) {
    fail(Reason::kInvalidPath, "a commit from our own leaf that we did not stage");
  }
  AuthenticatedContent ac = unprotect_public(*pm, prev.secrets.membership_key, prev.context);
  EpochState next = prev;
  if (type == ContentType::kProposal) {
    const HandshakeResult stored = store_proposal(prev, next, ac);
    g.current = std::move(next);
    return stored;
  }
  const HandshakeResult result = apply_commit(g, prev, next, ac);
  if (published_group_info != nullptr && result.outcome != HandshakeOutcome::kRemovedFromGroup) {
    check_published_group_info(next, *published_group_info);
  }
  g.current = std::move(next);
  g.staged.reset();
  g.staged_commit.clear();
  return result;
}

Bytes Group::protect(const Bytes& application_data, const Bytes& authenticated_data) {
  EpochState& s = state_->current;
  require_member(s);
  AuthenticatedContent ac;
  ac.wire_format = WireFormat::kPrivateMessage;
  ac.content.group_id = s.context.group_id;
  ac.content.epoch = s.context.epoch;
  ac.content.sender = Sender{SenderType::kMember, s.tree_private.index()};
  ac.content.authenticated_data = authenticated_data;
  ac.content.body = application_data;
  ac.sign(s.signature_private_key, &s.context);
  return MlsMessage{protect_private(ac, s.secret_tree, s.secrets.sender_data_secret)}.to_bytes();
}

ApplicationMessage Group::unprotect(const Bytes& message) {
  EpochState& s = state_->current;
  require_member(s);
  const MlsMessage decoded = MlsMessage::from_bytes(message);
  const PrivateMessage* pm = std::get_if<PrivateMessage>(&decoded.body);
  if (pm == nullptr) fail(Reason::kMalformed, "application data travels as a PrivateMessage");
  check_epoch(s, pm->group_id, pm->epoch);
  if (pm->content_type != ContentType::kApplication) fail(Reason::kUnsupported, "handshake in a PrivateMessage");
  SecretTree secrets = s.secret_tree;  // consumed only once the signature verified
  const AuthenticatedContent ac = unprotect_private(*pm, secrets, s.secrets.sender_data_secret);
  const LeafIndex sender = ac.content.sender.index;
  const LeafNode* leaf = s.tree.leaf(sender);
  if (leaf == nullptr) fail(Reason::kUnknownSender, "application message from blank leaf " + std::to_string(sender));
  if (!ac.verify(leaf->signature_key, &s.context)) fail(Reason::kBadSignature, "application message signature");
  s.secret_tree = std::move(secrets);
  return ApplicationMessage{sender, std::get<Bytes>(ac.content.body), ac.content.authenticated_data};
}

SecretBytes Group::export_secret(std::string_view label, ByteView context, size_t length) const {
  require_member(state_->current);
  return mls_export(state_->current.secrets.exporter_secret, label, context, length);
}

Bytes Group::epoch_authenticator() const {
  require_member(state_->current);
  return state_->current.secrets.epoch_authenticator.reveal();
}

bool Group::is_member() const { return state_->current.member; }
uint64_t Group::epoch() const { return state_->current.context.epoch; }
const Bytes& Group::group_id() const { return state_->current.context.group_id; }
LeafIndex Group::own_leaf() const { return state_->current.tree_private.index(); }
uint32_t Group::member_count() const { return state_->current.tree.member_count(); }
const RatchetTree& Group::tree() const { return state_->current.tree; }
const GroupContext& Group::context() const { return state_->current.context; }

SecretBytes serialize_group_state(const GroupState& g) {
  TlsWriter w;
  w.u8(kSerializationVersion);
  w.u8(g.full_proposals ? 1 : 0);
  w.u8(g.admission_required ? 1 : 0);
  w.vector([&](TlsWriter& inner) {
    for (const auto& [id, value] : g.external_psks) {
      inner.opaque(id);
      inner.opaque(value.reveal());
    }
  });
  g.current.encode(w);
  w.opaque(g.staged_commit);
  w.optional(g.staged, [](TlsWriter& out, const EpochState& s) { s.encode(out); });
  return SecretBytes(w.take());
}

SecretBytes Group::serialize() const { return serialize_group_state(*state_); }

Group Group::deserialize(ByteView data) {
  TlsReader r(data.data(), data.size());
  const uint8_t version = r.u8();
  if (version != kSerializationVersion) fail(Reason::kUnsupported, "group state version " + std::to_string(version));
  auto g = std::make_unique<GroupState>();
  g->full_proposals = r.u8() == 1;
  g->admission_required = r.u8() == 1;
  TlsReader psks = r.vector();
  while (!psks.empty()) {
    Bytes id = psks.opaque();
    g->external_psks[std::move(id)] = SecretBytes(psks.opaque());
  }
  g->current = EpochState::decode(r);
  g->staged_commit = r.opaque();
  if (r.present()) g->staged = EpochState::decode(r);
  r.finish("group state");
  if (g->staged.has_value() == g->staged_commit.empty()) fail(Reason::kMalformed, "staged commit without its state");
  if (!kInteropBuild && (g->full_proposals || !g->external_psks.empty())) {
    fail(Reason::kUnsupported, std::string("sealed group state in interop mode: ") + kInteropCompiledOut);
  }
  return Group(std::move(g));
}

}  // namespace anonify::mls
