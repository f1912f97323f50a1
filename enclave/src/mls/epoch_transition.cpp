// The epoch state of a Group (its sealed encoding) and its transitions: the key schedule step shared
// by every commit, and the application of handshakes from the log (commits, standalone proposals,
// published GroupInfos).
#include <string>

#include "anonify/crypto/hpke.h"
#include "anonify/mls/mls_error.h"
#include "anonify/mls/tree_validation.h"
#include "group_state.h"

namespace anonify::mls {
namespace {

constexpr size_t kKeptResumptionPsks = 32;
constexpr uint8_t kResumptionUsageApplication = 1;

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
  if (id.psk_type == kPskTypeExternal) {
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

}  // namespace

void EpochState::encode(TlsWriter& w) const {
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


EpochState EpochState::decode(TlsReader& r) {
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

GroupContext provisional_context(const EpochState& prev, const RatchetTree& tree,
                                 const std::optional<ExtensionList>& extensions) {
  GroupContext c = prev.context;
  c.epoch = prev.context.epoch + 1;
  c.tree_hash = tree.root_tree_hash();
  if (extensions) c.extensions = *extensions;
  return c;
}

void finish_epoch(EpochState& next, const EpochState& prev, AuthenticatedContent& commit, ByteView init_secret,
                  ByteView commit_secret, bool verify_tag, ByteView psk_secret,
                  const std::optional<ExtensionList>& extensions) {
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

const LeafAdmission* admission_for(const GroupState& g) {
  if (g.admission_required && g.admission == nullptr) {
    fail(Reason::kInternal, "this group admits leaves only under an admission rule, and none is set");
  }
  return g.admission_required ? g.admission : nullptr;
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
  const PublicCommitEffect effect =
      apply_commit_public(next.tree, ac, prev.context, g.full_proposals, lookup, admission_for(g));
  if (effect.removed.count(prev.tree_private.index()) == 1) {
    EpochState removed;
    removed.context = prev.context;
    removed.removed = true;
    next = std::move(removed);  // nothing of the group is kept once we are out of it
    return HandshakeResult{HandshakeOutcome::kRemovedFromGroup, prev.context.epoch + 1, effect.committer};
  }
  validate_commit_tree(prev.tree, next.tree, provisional_context(prev, next.tree, effect.group_context_extensions),
                       effect.group_context_extensions.has_value());
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

}  // namespace anonify::mls
