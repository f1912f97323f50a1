// TreeKEM scaling benchmark (issue 7): the time to create and to process a self-update commit with a
// path, and its size, in groups of 2^k members, on two tree shapes:
//
//   full   every parent node holds a key (no unmerged leaves): each copath resolution is one node;
//   fresh  the group was just built by adding members: every parent is blank, so the copath
//          resolutions hold all the other leaves.
//
// The commit is Group::commit_update() by leaf 0 (what mls_commit_update does: fresh path, parent
// hashes, tree hash, signed commit with confirmation tag and membership tag, signed GroupInfo with
// external_pub), processed with Group::process_handshake(commit, &group_info) by leaf n-1, the
// farthest leaf: its lowest common ancestor with the sender is the root, as it is for half of all
// members. The trees are built outside the timed part, straight from generated keys; each group
// state is loaded through Group::deserialize, and every tree is validated as a joiner would
// (tree hash, parent hashes, leaf signatures) before it is measured.
//
// Output: one JSON object per line (bench/treekem.ts parses it). With --export DIR the program also
// writes, for the sizes ts-mls runs, the GroupInfo (ratchet_tree extension included) of the same
// shapes with leaves 0 and n-2 left blank, so ts-mls members can take those two seats (n-2, not
// n-1: a tree whose last leaf is blank is not canonical; n-2 also has the root as its lowest common
// ancestor with leaf 0, so it does the same work as n-1).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "anonify/mls/group.h"
#include "anonify/mls/handshake_entry.h"
#include "anonify/mls/mls_error.h"
#include "mls/group_state.h"

namespace anonify::mls {
namespace {

namespace tm = tree_math;
using Clock = std::chrono::steady_clock;

enum class Shape { kFull, kFresh };
const char* shape_name(Shape s) { return s == Shape::kFull ? "full" : "fresh"; }

struct Member {
  SignatureKeyPair signature;
  SecretBytes leaf_private_key;
  LeafNode leaf;  // as it came from the member's KeyPackage
};

const Bytes kGroupId{'b', 'e', 'n', 'c', 'h', '-', 't', 'r', 'e', 'e', 'k', 'e', 'm'};

std::vector<Member> generate_members(uint32_t count) {
  std::vector<Member> members;
  members.reserve(count);
  for (LeafIndex i = 0; i < count; ++i) {
    Member m;
    m.signature = generate_signature_key_pair();
    crypto::hpke::KeyPair keys = generate_hpke_key_pair();
    m.leaf_private_key = std::move(keys.private_key);
    m.leaf.encryption_key = keys.public_key;
    m.leaf.signature_key = m.signature.public_key;
    const std::string name = "member " + std::to_string(i);
    m.leaf.credential = Credential::basic(Bytes(name.begin(), name.end()));
    m.leaf.capabilities = Capabilities::anonify_default();
    m.leaf.source = LeafNodeSource::kKeyPackage;
    m.leaf.lifetime = Lifetime{0, UINT64_MAX};
    m.leaf.sign(m.signature.private_key, kGroupId, i);
    members.push_back(std::move(m));
  }
  return members;
}

// A tree of `members` leaves and the path secrets of its parent nodes (empty where blank).
struct BuiltTree {
  RatchetTree tree;
  std::vector<SecretBytes> path_secrets;  // by node index
};

// Fills every parent of the tree with a key and a parent-hash chain that validates: each parent P
// is written by its left child (the right one when the left is a blank leaf), whose parent hash is
// ParentHash(P) over the other child's subtree, as if that child's last commit had set it. The other
// child keeps the parent hash of an earlier commit (a digest standing for it). Leaves that wrote a
// parent become commit-source leaves carrying the parent hash, re-signed by their member.
void fill_parents(BuiltTree& built, const std::vector<Member>& members) {
  RatchetTree& tree = built.tree;
  built.path_secrets.resize(tree.node_width());
  std::function<void(NodeIndex, const Bytes&)> finish = [&](NodeIndex node, const Bytes& parent_hash) {
    if (tm::is_leaf(node)) {
      if (parent_hash.empty()) return;
      const LeafIndex l = tm::node_to_leaf(node);
      LeafNode leaf = *tree.leaf(l);
      leaf.source = LeafNodeSource::kCommit;
      leaf.lifetime = Lifetime{};
      leaf.parent_hash = parent_hash;
      leaf.sign(members[l].signature.private_key, kGroupId, l);
      tree.set_leaf(l, std::move(leaf));
      return;
    }
    built.path_secrets[node] = random_secret(kHashSize);
    ParentNode p;
    p.encryption_key = derive_hpke_key_pair(derive_secret(built.path_secrets[node], "node")).public_key;
    p.parent_hash = parent_hash;
    tree.set_parent(node, std::move(p));
    const NodeIndex left = tm::left(node);
    const bool left_writes = !(tm::is_leaf(left) && tree.is_blank(left));
    const NodeIndex writer = left_writes ? left : tm::right(node);
    const NodeIndex other = left_writes ? tm::right(node) : left;
    const std::string older = "older parent hash of node " + std::to_string(other);
    finish(other, tm::is_leaf(other) ? Bytes{} : hash(ByteView::from_string(older)));
    finish(writer, tree.parent_hash(node, other));
  };
  finish(tree.root(), Bytes{});
}

// The tree of `shape` over `members`, leaving the leaves in `blank_leaves` empty.
BuiltTree build_tree(Shape shape, const std::vector<Member>& members, const std::vector<LeafIndex>& blank_leaves) {
  BuiltTree built;
  built.tree = RatchetTree(members[0].leaf);
  for (LeafIndex i = 1; i < members.size(); ++i) built.tree.add_leaf(members[i].leaf);
  for (LeafIndex l : blank_leaves) built.tree.blank(tm::leaf_to_node(l));
  if (shape == Shape::kFull) {
    fill_parents(built, members);
  } else {
    built.path_secrets.resize(built.tree.node_width());
  }
  if (!built.tree.parent_hashes_valid()) fail(Reason::kInternal, "benchmark tree: parent hashes do not verify");
  if (!built.tree.leaf_signatures_valid(kGroupId)) fail(Reason::kInternal, "benchmark tree: a leaf signature fails");
  return built;
}

// The epoch secrets and transcript every member of the benchmark group shares.
struct SharedEpoch {
  GroupContext context;
  EpochSecrets secrets;
  Bytes confirmation_tag;
  Bytes interim_transcript_hash;
};

SharedEpoch shared_epoch(const RatchetTree& tree) {
  SharedEpoch e;
  e.context.group_id = kGroupId;
  e.context.epoch = 7;
  e.context.tree_hash = tree.root_tree_hash();
  e.context.confirmed_transcript_hash = random_secret(kHashSize).reveal();
  e.secrets = derive_epoch_secrets(random_secret(kHashSize), zero_secret(), zero_secret(), e.context);
  e.confirmation_tag = confirmation_tag(e.secrets.confirmation_key, e.context.confirmed_transcript_hash);
  e.interim_transcript_hash = interim_transcript_hash(e.context.confirmed_transcript_hash, e.confirmation_tag);
  return e;
}

// Member `self`'s group: its leaf key, the keys of the non-blank parents on its direct path (which a
// member holds in a real group), its signature key and the shared epoch.
Group member_group(const BuiltTree& built, const SharedEpoch& epoch, const std::vector<Member>& members,
                   LeafIndex self) {
  GroupState g;
  EpochState& s = g.current;
  s.member = true;
  s.context = epoch.context;
  s.tree = built.tree;
  s.tree_private = TreeKemPrivate(self, members[self].leaf_private_key);
  for (NodeIndex n : tm::direct_path(tm::leaf_to_node(self), built.tree.leaf_count())) {
    if (!built.tree.is_blank(n)) s.tree_private.set_path_secret(n, built.path_secrets[n]);
  }
  if (!s.tree_private.consistent_with(s.tree)) fail(Reason::kInternal, "benchmark member keys do not match the tree");
  s.credential = members[self].leaf.credential;
  s.signature_private_key = members[self].signature.private_key;
  s.signature_public_key = members[self].signature.public_key;
  s.secrets = epoch.secrets;
  s.secret_tree = SecretTree(s.secrets.encryption_secret, s.tree.leaf_count());
  s.interim_transcript_hash = epoch.interim_transcript_hash;
  s.confirmation_tag = epoch.confirmation_tag;
  Group group = Group::deserialize(serialize_group_state(g));
  // A running member has the tree hashes of its current epoch cached (its last commit computed
  // them); a freshly loaded state has not, and would rehash the whole tree on its first commit.
  group.tree().root_tree_hash();
  return group;
}

double elapsed_ms(Clock::time_point from) {
  return std::chrono::duration<double, std::milli>(Clock::now() - from).count();
}

// CPU time of this thread: what the operation costs, whatever else the machine runs meanwhile.
double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// Wall and CPU time of one call.
struct Timing {
  double wall_ms;
  double cpu_ms;
};
template <typename F>
Timing timed(F&& f) {
  const Clock::time_point wall = Clock::now();
  const double cpu = thread_cpu_ms();
  f();
  return Timing{elapsed_ms(wall), thread_cpu_ms() - cpu};
}

std::string json_samples(const std::vector<double>& samples) {
  std::string out = "[";
  for (size_t i = 0; i < samples.size(); ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%.4f", i == 0 ? "" : ",", samples[i]);
    out += buf;
  }
  return out + "]";
}

struct Options {
  std::vector<uint32_t> log_sizes;
  int min_reps = 3;
  int max_reps = 15;
  double budget_ms = 3000;  // per size and shape, beyond min_reps
  std::vector<Shape> shapes{Shape::kFull, Shape::kFresh};
  std::string export_dir;
  uint32_t export_max_log = 10;
};

void measure(Shape shape, uint32_t members_count, const std::vector<Member>& members, const Options& opt) {
  const Clock::time_point setup_start = Clock::now();
  const BuiltTree built = build_tree(shape, members, {});
  const SharedEpoch epoch = shared_epoch(built.tree);
  const LeafIndex sender_leaf = 0;
  const LeafIndex receiver_leaf = members_count - 1;
  const Group sender = member_group(built, epoch, members, sender_leaf);
  const Group receiver = member_group(built, epoch, members, receiver_leaf);
  const double setup_ms = elapsed_ms(setup_start);

  std::vector<double> create_ms, create_cpu_ms;
  std::vector<double> process_ms, process_cpu_ms;
  size_t commit_bytes = 0;
  size_t group_info_bytes = 0;
  size_t entry_bytes = 0;
  size_t ciphertexts = 0;
  const Clock::time_point run_start = Clock::now();
  for (int rep = 0; rep < opt.max_reps; ++rep) {
    if (rep >= opt.min_reps && elapsed_ms(run_start) > opt.budget_ms) break;
    Group committer = sender.clone();
    CommitOutput out;
    const Timing create = timed([&] { out = committer.commit_update(); });
    create_ms.push_back(create.wall_ms);
    create_cpu_ms.push_back(create.cpu_ms);

    Group follower = receiver.clone();
    HandshakeResult result{};
    const Timing process = timed([&] { result = follower.process_handshake(out.commit, &out.group_info); });
    process_ms.push_back(process.wall_ms);
    process_cpu_ms.push_back(process.cpu_ms);

    // Outside the timing: both sides reached the same epoch.
    if (result.outcome != HandshakeOutcome::kCommitApplied || result.committer != sender_leaf) {
      fail(Reason::kInternal, "receiver did not apply the commit");
    }
    committer.process_handshake(out.commit, &out.group_info);
    if (committer.epoch_authenticator() != follower.epoch_authenticator()) {
      fail(Reason::kInternal, "sender and receiver disagree on the new epoch");
    }
    commit_bytes = out.commit.size();
    group_info_bytes = out.group_info.size();
    entry_bytes = tls_encode(HandshakeEntry{out.commit, out.group_info}).size();
    ciphertexts = 0;
    const MlsMessage decoded = MlsMessage::from_bytes(out.commit);
    const Commit& commit = std::get<Commit>(std::get<PublicMessage>(decoded.body).content.body);
    for (const UpdatePathNode& n : commit.path->nodes) ciphertexts += n.encrypted_path_secret.size();
  }
  std::printf(
      "{\"impl\":\"anonify\",\"shape\":\"%s\",\"members\":%u,\"sender\":%u,\"receiver\":%u,\"setup_ms\":%.1f,"
      "\"create_ms\":%s,\"create_cpu_ms\":%s,\"process_ms\":%s,\"process_cpu_ms\":%s,\"commit_bytes\":%zu,\"group_info_bytes\":%zu,\"entry_bytes\":%zu,"
      "\"path_nodes\":%u,\"ciphertexts\":%zu}\n",
      shape_name(shape), members_count, sender_leaf, receiver_leaf, setup_ms, json_samples(create_ms).c_str(),
      json_samples(create_cpu_ms).c_str(), json_samples(process_ms).c_str(), json_samples(process_cpu_ms).c_str(), commit_bytes, group_info_bytes, entry_bytes,
      tm::log2(members_count), ciphertexts);
  std::fflush(stdout);
}

// The GroupInfo of the shape with leaves 0 and n-2 blank, signed by leaf 1 (hex, one line), with the
// ratchet_tree extension. Its external_pub extension holds the bare key, the form ts-mls 1.6.4 reads
// (RFC 9420 length-prefixes it, as Group::group_info() does; we accept both, see messages.cpp).
void export_group_info(Shape shape, uint32_t members_count, const std::vector<Member>& members,
                       const std::string& dir) {
  const LeafIndex signer = 1;
  const BuiltTree built = build_tree(shape, members, {0, members_count - 2});
  const SharedEpoch epoch = shared_epoch(built.tree);
  GroupInfo gi;
  gi.group_context = epoch.context;
  gi.extensions.push_back(Extension{static_cast<uint16_t>(ExtensionType::kRatchetTree), built.tree.to_bytes()});
  gi.extensions.push_back(
      Extension{static_cast<uint16_t>(ExtensionType::kExternalPub), external_public_key(epoch.secrets.external_secret)});
  gi.confirmation_tag = epoch.confirmation_tag;
  gi.signer = signer;
  gi.sign(members[signer].signature.private_key);
  const std::string path = dir + "/" + shape_name(shape) + "-" + std::to_string(members_count) + ".groupinfo";
  std::ofstream out(path);
  out << to_hex(MlsMessage{std::move(gi)}.to_bytes()) << "\n";
  if (!out) fail(Reason::kInternal, "cannot write " + path);
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t comma = text.find(',', pos);
    out.push_back(text.substr(pos, comma - pos));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

int run(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--log-sizes") {
      for (const std::string& k : split(value())) opt.log_sizes.push_back(static_cast<uint32_t>(std::stoul(k)));
    } else if (arg == "--min-reps") {
      opt.min_reps = std::stoi(value());
    } else if (arg == "--max-reps") {
      opt.max_reps = std::stoi(value());
    } else if (arg == "--budget-ms") {
      opt.budget_ms = std::stod(value());
    } else if (arg == "--shapes") {
      opt.shapes.clear();
      for (const std::string& name : split(value())) {
        if (name != "full" && name != "fresh") throw std::invalid_argument("unknown shape " + name);
        opt.shapes.push_back(name == "full" ? Shape::kFull : Shape::kFresh);
      }
    } else if (arg == "--export") {
      opt.export_dir = value();
    } else if (arg == "--export-max-log") {
      opt.export_max_log = static_cast<uint32_t>(std::stoul(value()));
    } else {
      std::fprintf(stderr,
                   "usage: bench_treekem [--log-sizes 4,5,..] [--shapes full,fresh] [--min-reps N] [--max-reps N] [--budget-ms MS]\n"
                   "                     [--export DIR] [--export-max-log K]\n");
      return 2;
    }
  }
  if (opt.log_sizes.empty()) {
    for (uint32_t k = 4; k <= 14; ++k) opt.log_sizes.push_back(k);
  }
  for (uint32_t k : opt.log_sizes) {
    if (k < 2 || k > 20) throw std::invalid_argument("log size " + std::to_string(k) + " outside 2..20");
    const uint32_t n = 1U << k;
    std::fprintf(stderr, "bench_treekem: %u members: generating keys\n", n);
    const std::vector<Member> members = generate_members(n);
    for (Shape shape : opt.shapes) {
      std::fprintf(stderr, "bench_treekem: %u members, %s tree\n", n, shape_name(shape));
      measure(shape, n, members, opt);
      if (!opt.export_dir.empty() && k <= opt.export_max_log) export_group_info(shape, n, members, opt.export_dir);
    }
  }
  return 0;
}

}  // namespace
}  // namespace anonify::mls

int main(int argc, char** argv) {
  try {
    return anonify::mls::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_treekem: %s\n", e.what());
    return 1;
  }
}
