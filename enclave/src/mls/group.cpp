#include "anonify/mls/group.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "anonify/crypto/hpke.h"
#include "anonify/mls/mls_error.h"
#include "commit_rules.h"

namespace anonify::mls {
namespace {

constexpr uint8_t kSerializationVersion = 1;
constexpr size_t kKeptResumptionPsks = 32;
constexpr uint8_t kPskExternal = 1;
constexpr uint8_t kResumptionUsageApplication = 1;
constexpr std::string_view kExternalInitLabel = "MLS 1.0 external init secret";

}  // namespace

// One epoch of the group as this enclave sees it. Copyable so that every handshake is processed on
// a copy and only swapped in once all checks passed.
struct EpochState {
  bool member = false;   // false while an external join is staged, and after removal
  bool removed = false;
  GroupContext context;
  RatchetTree tree;
  TreeKemPrivate tree_private;
  Credential credential;
  SecretBytes signature_private_key;
  Bytes signature_public_key;
  EpochSecrets secrets;
  SecretTree secret_tree;
  Bytes interim_transcript_hash;
  Bytes confirmation_tag;  // of the commit that created this epoch
  std::vector<std::pair<Bytes, SentProposal>> proposals;  // by reference, this epoch only
  std::map<uint64_t, SecretBytes> resumption_psks;         // of recent past epochs

  void encode(TlsWriter& w) const {
    w.u8(member ? 1 : 0);
    w.u8(removed ? 1 : 0);
    context.encode(w);
    tree.encode(w);
    tree_private.encode(w);
    credential.encode(w);
    w.opaque(signature_private_key.reveal());
    w.opaque(signature_public_key);
    secrets.encode(w);
    secret_tree.encode(w);
    w.opaque(interim_transcript_hash);
    w.opaque(confirmation_tag);
    w.vector([&](TlsWriter& inner) {
      for (const auto& [ref, sent] : proposals) {
        inner.opaque(ref);
        sent.sender.encode(inner);
        sent.proposal.encode(inner);
      }
    });
    w.vector([&](TlsWriter& inner) {
      for (const auto& [epoch, psk] : resumption_psks) {
        inner.u64(epoch);
        inner.opaque(psk.reveal());
      }
    });
  }

  static EpochState decode(TlsReader& r) {
    EpochState s;
    s.member = r.u8() == 1;
    s.removed = r.u8() == 1;
    s.context = GroupContext::decode(r);
    s.tree = RatchetTree::decode(r);
    s.tree_private = TreeKemPrivate::decode(r);
    s.credential = Credential::decode(r);
    s.signature_private_key = SecretBytes(r.opaque());
    s.signature_public_key = r.opaque();
    s.secrets = EpochSecrets::decode(r);
    s.secret_tree = SecretTree::decode(r);
    s.interim_transcript_hash = r.opaque();
    s.confirmation_tag = r.opaque();
    TlsReader proposals = r.vector();
    while (!proposals.empty()) {
      Bytes ref = proposals.opaque();
      Sender sender = Sender::decode(proposals);
      Proposal proposal = Proposal::decode(proposals);
      s.proposals.emplace_back(std::move(ref), SentProposal{std::move(proposal), sender});
    }
    TlsReader psks = r.vector();
    while (!psks.empty()) {
      const uint64_t epoch = psks.u64();
      s.resumption_psks[epoch] = SecretBytes(psks.opaque());
    }
    return s;
  }
};

struct GroupState {
  bool full_proposals = false;                  // interop mode (commit_rules.h)
  std::map<Bytes, SecretBytes> external_psks;   // psk_id -> value
  EpochState current;
  Bytes staged_commit;              // our commit (or external join) awaiting its turn in the log
  std::optional<EpochState> staged; // the epoch it creates
};

namespace {

GroupContext provisional_context(const EpochState& prev, const RatchetTree& tree,
                                 const std::optional<ExtensionList>& extensions = std::nullopt) {
  GroupContext c = prev.context;
  c.epoch = prev.context.epoch + 1;
  c.tree_hash = tree.root_tree_hash();
  if (extensions) c.extensions = *extensions;
  return c;
}

// Transcript, key schedule and confirmation tag of the epoch a commit creates. With
// `verify_tag` the commit's tag is checked, otherwise it is filled in.
void finish_epoch(EpochState& next, const EpochState& prev, AuthenticatedContent& commit, ByteView init_secret,
                  ByteView commit_secret, bool verify_tag, ByteView psk_secret = ByteView(),
                  const std::optional<ExtensionList>& extensions = std::nullopt) {
  const Bytes confirmed = confirmed_transcript_hash(prev.interim_transcript_hash, commit.confirmed_transcript_input());
  next.context = provisional_context(prev, next.tree, extensions);
  next.context.confirmed_transcript_hash = confirmed;
  const Bytes zero = zero_secret();
  next.secrets = derive_epoch_secrets(init_secret, commit_secret, psk_secret.empty() ? ByteView(zero) : psk_secret,
                                      next.context);
  next.proposals.clear();
  next.resumption_psks = prev.resumption_psks;
  next.resumption_psks[prev.context.epoch] = prev.secrets.resumption_psk;
  while (next.resumption_psks.size() > kKeptResumptionPsks) next.resumption_psks.erase(next.resumption_psks.begin());
  const Bytes tag = confirmation_tag(next.secrets.confirmation_key, confirmed);
  if (verify_tag) {
    if (!constant_time_equal(tag, commit.auth.confirmation_tag)) {
      fail(Reason::kBadConfirmationTag, "commit confirmation tag does not verify");
    }
  } else {
    commit.auth.confirmation_tag = tag;
  }
  next.confirmation_tag = tag;
  next.interim_transcript_hash = interim_transcript_hash(confirmed, tag);
  next.secret_tree = SecretTree(next.secrets.encryption_secret, next.tree.leaf_count());
}

Bytes make_group_info(const EpochState& s, bool with_tree) {
  if (!s.member) fail(Reason::kNotMember, "only members sign a GroupInfo");
  GroupInfo gi;
  gi.group_context = s.context;
  if (with_tree) {
    gi.extensions.push_back(Extension{static_cast<uint16_t>(ExtensionType::kRatchetTree), s.tree.to_bytes()});
  }
  gi.extensions.push_back(Extension{static_cast<uint16_t>(ExtensionType::kExternalPub),
                                    encode_external_pub(external_public_key(s.secrets.external_secret))});
  gi.confirmation_tag = s.confirmation_tag;
  gi.signer = s.tree_private.index();
  gi.sign(s.signature_private_key);
  return MlsMessage{std::move(gi)}.to_bytes();
}

LeafNode own_leaf_template(const EpochState& s) {
  LeafNode leaf;
  leaf.signature_key = s.signature_public_key;
  leaf.credential = s.credential;
  leaf.capabilities = Capabilities::anonify_default();
  leaf.source = LeafNodeSource::kCommit;
  return leaf;
}

void require_member(const EpochState& s) {
  if (s.removed) fail(Reason::kNotMember, "this enclave was removed from the group");
  if (!s.member) fail(Reason::kNotMember, "the external join has not been applied yet");
}

// Checks group id and epoch of an incoming message against the current state.
void check_epoch(const EpochState& s, const Bytes& group_id, uint64_t epoch) {
  if (group_id != s.context.group_id) fail(Reason::kWrongGroup, "message for another group");
  if (epoch < s.context.epoch) {
    fail(Reason::kStaleEpoch, "message for epoch " + std::to_string(epoch) + ", group is at " +
                                  std::to_string(s.context.epoch));
  }
  if (epoch > s.context.epoch) {
    fail(Reason::kFutureEpoch, "message for epoch " + std::to_string(epoch) + ", group is at " +
                                   std::to_string(s.context.epoch));
  }
}

SecretBytes external_init_secret_receiver(const EpochState& s, const Bytes& kem_output) {
  const crypto::hpke::KeyPair external = derive_hpke_key_pair(s.secrets.external_secret);
  try {
    const crypto::hpke::Context ctx =
        crypto::hpke::setup_recipient(crypto::hpke::kDefaultSuite, kem_output, external.private_key, ByteView());
    return ctx.export_secret(ByteView::from_string(kExternalInitLabel), kHashSize);
  } catch (const MlsError&) {
    throw;
  } catch (const Error& e) {
    fail(Reason::kDecryptionFailed, std::string("external init: ") + e.what());
  }
}

Bytes resolve_psk(const GroupState& g, const EpochState& prev, const PreSharedKeyId& id) {
  if (id.psk_type == kPskExternal) {
    auto it = g.external_psks.find(id.psk_id);
    if (it == g.external_psks.end()) fail(Reason::kInvalidProposal, "unknown external PSK");
    return it->second.reveal();
  }
  if (id.usage != kResumptionUsageApplication || id.psk_group_id != prev.context.group_id) {
    fail(Reason::kInvalidProposal, "resumption PSK of another group or usage");
  }
  if (id.psk_epoch == prev.context.epoch) return prev.secrets.resumption_psk.reveal();
  auto it = prev.resumption_psks.find(id.psk_epoch);
  if (it == prev.resumption_psks.end()) fail(Reason::kInvalidProposal, "resumption PSK of an epoch no longer kept");
  return it->second.reveal();
}

// Applies a commit from the log to a copy of the current epoch: the public part (signature,
// proposals, tree), then the path secret, key schedule and confirmation tag.
HandshakeResult apply_commit(const GroupState& g, const EpochState& prev, EpochState& next, AuthenticatedContent& ac) {
  const ProposalLookup lookup = [&](const Bytes& ref) {
    for (const auto& [cached_ref, sent] : prev.proposals) {
      if (cached_ref == ref) return sent;
    }
    fail(Reason::kInvalidProposal, "commit references an unknown proposal");
  };
  const PublicCommitEffect effect = apply_commit_public(next.tree, ac, prev.context, g.full_proposals, lookup);
  if (effect.removed.count(prev.tree_private.index()) == 1) {
    EpochState removed;
    removed.context = prev.context;
    removed.removed = true;
    next = std::move(removed);  // nothing of the group is kept once we are out of it
    return HandshakeResult{HandshakeOutcome::kRemovedFromGroup, prev.context.epoch + 1, effect.committer};
  }
  const SecretBytes init_secret =
      effect.external ? external_init_secret_receiver(prev, effect.external_kem_output) : prev.secrets.init_secret;
  SecretBytes commit_secret(zero_secret());
  if (effect.has_path) {
    const Bytes context = provisional_context(prev, next.tree, effect.group_context_extensions).to_bytes();
    const Commit& commit = std::get<Commit>(ac.content.body);
    commit_secret = decrypt_update_path(next.tree, effect.committer, *commit.path, next.tree_private, context,
                                        effect.added)
                        .commit_secret;
  } else {
    next.tree_private.prune(next.tree);
  }
  std::vector<PskInput> psks;
  for (const PreSharedKeyId& id : effect.psks) psks.push_back(PskInput{id, resolve_psk(g, prev, id)});
  const Bytes psk_secret = compute_psk_secret(psks);
  finish_epoch(next, prev, ac, init_secret, commit_secret, true, psk_secret, effect.group_context_extensions);
  return HandshakeResult{effect.external ? HandshakeOutcome::kExternalJoinApplied : HandshakeOutcome::kCommitApplied,
                         next.context.epoch, effect.committer};
}

// Verifies a standalone proposal from a member and caches it under its reference for this epoch.
HandshakeResult store_proposal(const EpochState& prev, EpochState& next, const AuthenticatedContent& ac) {
  const Sender& sender = ac.content.sender;
  const Proposal& proposal = std::get<Proposal>(ac.content.body);
  if (sender.type == SenderType::kMember) {
    const LeafNode* leaf = prev.tree.leaf(sender.index);
    if (leaf == nullptr) fail(Reason::kUnknownSender, "proposal from blank leaf " + std::to_string(sender.index));
    if (!ac.verify(leaf->signature_key, &prev.context)) fail(Reason::kBadSignature, "proposal signature");
  } else if (sender.type == SenderType::kNewMemberProposal) {
    const auto* add = std::get_if<AddProposal>(&proposal.body);
    if (add == nullptr) fail(Reason::kInvalidProposal, "a new member may only propose its own Add");
    if (!ac.verify(add->key_package.leaf_node.signature_key, &prev.context)) fail(Reason::kBadSignature, "proposal signature");
  } else {
    fail(Reason::kUnsupported, "proposals from external senders");
  }
  next.proposals.emplace_back(proposal_ref(ac), SentProposal{proposal, sender});
  return HandshakeResult{HandshakeOutcome::kProposalStored, prev.context.epoch, sender.index};
}

// Builds, signs and stages a commit of `proposals` plus a fresh path from our leaf.
CommitOutput stage_member_commit(GroupState& g, std::vector<ProposalOrRef> proposals,
                                 const std::vector<LeafIndex>& removed) {
  const EpochState& prev = g.current;
  EpochState next = prev;
  for (LeafIndex l : removed) next.tree.remove_leaf(l);
  const LeafIndex self = prev.tree_private.index();
  CreatedPath created = create_update_path(next.tree, self, *prev.tree.leaf(self), prev.signature_private_key,
                                           prev.context.group_id,
                                           [&](const RatchetTree& t) { return provisional_context(prev, t).to_bytes(); });
  AuthenticatedContent ac;
  ac.wire_format = WireFormat::kPublicMessage;
  ac.content.group_id = prev.context.group_id;
  ac.content.epoch = prev.context.epoch;
  ac.content.sender = Sender{SenderType::kMember, self};
  ac.content.body = Commit{std::move(proposals), std::move(created.path)};
  ac.sign(prev.signature_private_key, &prev.context);
  finish_epoch(next, prev, ac, prev.secrets.init_secret, created.commit_secret, false);
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

Group Group::create(const Bytes& group_id, MemberIdentity identity) {
  auto g = std::make_unique<GroupState>();
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
  const SecretBytes init_secret = random_secret(kHashSize);
  s.secrets = derive_epoch_secrets(init_secret, zero_secret(), zero_secret(), s.context);
  s.confirmation_tag = confirmation_tag(s.secrets.confirmation_key, s.context.confirmed_transcript_hash);
  s.interim_transcript_hash = interim_transcript_hash(s.context.confirmed_transcript_hash, s.confirmation_tag);
  s.secret_tree = SecretTree(s.secrets.encryption_secret, s.tree.leaf_count());
  return Group(std::move(g));
}

Group Group::join_external(const Bytes& group_info, const Bytes& ratchet_tree, MemberIdentity identity,
                           CommitOutput& out) {
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
  const LeafNode* signer = tree.leaf(gi->signer);
  if (signer == nullptr || !gi->verify(signer->signature_key)) fail(Reason::kBadSignature, "GroupInfo signature");
  if (tree.find_leaf_by_signature_key(identity.signature_keys.public_key)) {
    fail(Reason::kInvalidProposal, "this signature key is already a member");
  }

  auto g = std::make_unique<GroupState>();
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

void Group::set_full_proposal_support(bool enabled) { state_->full_proposals = enabled; }

void Group::add_external_psk(const Bytes& psk_id, SecretBytes value) {
  state_->external_psks[psk_id] = std::move(value);
}

bool Group::has_staged_commit() const { return state_->staged.has_value(); }

namespace {

// The GroupInfo published with a commit must describe exactly the epoch the commit creates: same
// context, same confirmation tag, signed by a member of the new tree, and (checkable only by
// members) the right external_pub. Members refuse the whole entry otherwise, like followers do.
void check_published_group_info(const EpochState& next, const Bytes& group_info) {
  const MlsMessage message = MlsMessage::from_bytes(group_info);
  const GroupInfo* gi = std::get_if<GroupInfo>(&message.body);
  if (gi == nullptr) fail(Reason::kMalformed, "expected an MLSMessage(GroupInfo)");
  if (!(gi->group_context == next.context)) fail(Reason::kInvalidTree, "published GroupInfo has another context");
  if (gi->confirmation_tag != next.confirmation_tag) {
    fail(Reason::kBadConfirmationTag, "published GroupInfo has another confirmation tag");
  }
  const LeafNode* signer = next.tree.leaf(gi->signer);
  if (signer == nullptr || !gi->verify(signer->signature_key)) fail(Reason::kBadSignature, "published GroupInfo signature");
  const Extension* pub = find_extension(gi->extensions, ExtensionType::kExternalPub);
  if (pub == nullptr || decode_external_pub(pub->data) != external_public_key(next.secrets.external_secret)) {
    fail(Reason::kInvalidTree, "published GroupInfo has a wrong external_pub");
  }
}

}  // namespace

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

SecretBytes Group::serialize() const {
  TlsWriter w;
  w.u8(kSerializationVersion);
  w.u8(state_->full_proposals ? 1 : 0);
  w.vector([&](TlsWriter& inner) {
    for (const auto& [id, value] : state_->external_psks) {
      inner.opaque(id);
      inner.opaque(value.reveal());
    }
  });
  state_->current.encode(w);
  w.opaque(state_->staged_commit);
  w.optional(state_->staged, [](TlsWriter& out, const EpochState& s) { s.encode(out); });
  return SecretBytes(w.take());
}

Group Group::deserialize(ByteView data) {
  TlsReader r(data.data(), data.size());
  const uint8_t version = r.u8();
  if (version != kSerializationVersion) fail(Reason::kUnsupported, "group state version " + std::to_string(version));
  auto g = std::make_unique<GroupState>();
  g->full_proposals = r.u8() == 1;
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
  return Group(std::move(g));
}

}  // namespace anonify::mls
