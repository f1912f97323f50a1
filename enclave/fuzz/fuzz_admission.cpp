// libFuzzer harness for the membership rule (enclave review F1), driven through the real
// dispatcher as a hostile host drives it. The property is the issue's: no handshake is accepted
// unless every new leaf carries evidence the enclave verified.
//
// State: an enclave `a` that created its group under the test policy (built once; every input
// starts from a copy of its data directory, so nothing carries over between inputs). Keys the host
// may try to bring in: bob's, for which the development IAS signed evidence naming bob's address,
// and mallory's, for which the only evidence names bob's address too (a genuine enclave could
// produce it only for its own keys, so it is a valid binding of mallory's key to that address).
// The external joins are built once from a's public state.
//
// Input: a sequence of actions, one selector byte each, some followed by operand bytes:
//   0 admit bob's evidence                 1 admit bob's evidence with bytes flipped (operands)
//   2 admit the evidence for mallory's keys (naming bob's address)
//   3 bob's external join                  4 mallory's external join claiming bob's address
//   5 bob's join with bytes flipped (operands)   6 a raw handshake (operands)
//   7 mallory's join claiming a's own address    8 a newer block time for the next handshake
//   9 mallory's join claiming bob's address, made in the epoch after bob's join (a duplicate identity)
//
// Invariants after every action: every leaf of a's tree is a's own or carries a (signature key,
// credential) binding that evidence admitted in this input established, and no two leaves share a
// credential (an enclave's address is one member); accepted evidence binds the keys it names; the
// epoch moves by one on an accepted handshake (a genesis entry changes nothing), and a refusal
// changes neither epoch nor tree; no response is malformed. A violation aborts with the action
// trace. ANONIFY_FUZZ_TRACE=1 prints each handshake's outcome (how the seeds were checked).

// First: it allows the deprecated RAND_set_rand_method before any OpenSSL header is read.
#include "fuzz_util.h"

#include <algorithm>
#include <functional>

#include "anonify/crypto/hpke.h"
#include "anonify/crypto/random.h"
#include "anonify/enclave/enclave.h"
#include "anonify/enclave/methods.h"
#include "anonify/enclave/platform.h"
#include "anonify/mls/group.h"
#include "anonify/mls/handshake_entry.h"
#include "anonify/mls/public_group.h"
#include "evidence_test_util.h"

using namespace anonify;
using Json = nlohmann::json;
namespace dev_ias = anonify::testing::dev_ias;

namespace {

std::string hex(ByteView b) { return "0x" + to_hex(b); }
Bytes hex_bytes(const Json& j) { return from_hex(j.get<std::string>()); }

Json call(enclave::EnclaveDispatcher& d, enclave::Enclave& e, const std::string& method, const Json& params) {
  const std::string body = Json{{"id", 1}, {"method", method}, {"params", params}}.dump();
  const Bytes out = d.handle(e, ByteView::from_string(body));
  Json doc = Json::parse(out.begin(), out.end());
  const bool ok = doc.is_object() && (doc.contains("result") != doc.contains("error")) &&
                  (!doc.contains("error") || (doc["error"]["code"].is_string() && doc["error"]["message"].is_string()));
  if (!ok) fuzz::fail(method.c_str(), "malformed response: " + doc.dump());
  return doc;
}

Json result_of(enclave::EnclaveDispatcher& d, enclave::Enclave& e, const std::string& method, const Json& params) {
  Json doc = call(d, e, method, params);
  if (!doc.contains("result")) fuzz::fail(method.c_str(), "refused in the harness set-up: " + doc.dump());
  return doc["result"];
}

Json test_domain() {
  return Json{{"name", "Anonify"}, {"version", "1"}, {"chainId", 31337},
              {"verifyingContract", "0x00000000000000000000000000000000000000aa"}};
}

// A key the host controls: its own signature key pair, the address it claims, and the keys a
// report would bind.
struct HostKey {
  Bytes address = crypto::random_bytes(20);
  crypto::hpke::KeyPair hpke = crypto::hpke::generate_key_pair();
  mls::SignatureKeyPair keys = mls::generate_signature_key_pair();

  mls::MemberIdentity identity(const Bytes& claimed) const {
    return mls::MemberIdentity{mls::Credential::basic(claimed), mls::SignatureKeyPair{keys.private_key, keys.public_key}};
  }
  // Evidence the development IAS signed for `bound`'s keys, naming this key's address.
  Json evidence_for(const HostKey& bound) const {
    dev_ias::QuoteFields fields;
    fields.report_data = dev_ias::report_data(address, bound.hpke.public_key, bound.keys.public_key);
    return dev_ias::admit_params(dev_ias::report_body(dev_ias::quote_body(fields)), bound.hpke.public_key,
                                 bound.keys.public_key);
  }
};

std::string join_handshake(const Json& public_state, const mls::MemberIdentity& identity) {
  mls::CommitOutput out;
  mls::Group::join_external(hex_bytes(public_state["groupInfo"]), hex_bytes(public_state["ratchetTree"]),
                            mls::MemberIdentity{identity.credential,
                                                mls::SignatureKeyPair{identity.signature_keys.private_key,
                                                                      identity.signature_keys.public_key}},
                            out);
  return hex(mls::tls_encode(mls::HandshakeEntry{out.commit, out.group_info}));
}

// What the invariants compare: the public state's leaves (signature key -> credential) and epoch.
struct View {
  uint64_t epoch = 0;
  std::vector<std::pair<Bytes, Bytes>> leaves;  // (signature key, credential identity)
  bool operator==(const View& o) const { return epoch == o.epoch && leaves == o.leaves; }
};

// The enclave's public state as it answered it, and the view parsed from it.
struct Observed {
  std::string group_info;
  std::string ratchet_tree;
  View view;
};

View parse_view(const std::string& group_info, const std::string& ratchet_tree) {
  const mls::PublicGroup group = mls::PublicGroup::from_group_info(from_hex(group_info), from_hex(ratchet_tree));
  View v;
  v.epoch = group.epoch();
  const mls::RatchetTree& tree = group.tree();
  for (mls::LeafIndex l = 0; l < tree.leaf_count(); ++l) {
    if (const mls::LeafNode* leaf = tree.leaf(l)) v.leaves.emplace_back(leaf->signature_key, leaf->credential.identity);
  }
  return v;
}

// Asks the enclave for its public state. The same bytes as `previous` (MLS signatures are
// Ed25519, deterministic: an unchanged group answers byte for byte the same) are the same view;
// anything else is parsed and verified again. Most handshakes a fuzzer makes are refused, so
// this skips the group-info and tree verification that otherwise dominates an input.
Observed observe(enclave::EnclaveDispatcher& d, enclave::Enclave& e, const Observed* previous) {
  const Json state = result_of(d, e, "mls_public_state", Json::object());
  Observed o{state["groupInfo"].get<std::string>(), state["ratchetTree"].get<std::string>(), {}};
  if (previous != nullptr && o.group_info == previous->group_info && o.ratchet_tree == previous->ratchet_tree) {
    o.view = previous->view;
  } else {
    o.view = parse_view(o.group_info, o.ratchet_tree);
  }
  return o;
}

struct AdmissionFixture {
  fuzz::TempDir dir;
  enclave::EnclaveDispatcher dispatcher = enclave::make_dispatcher();
  Bytes own_address;
  Bytes own_signature_key;
  HostKey bob, mallory;
  Json bob_evidence, bob_evidence_for_mallory;
  std::string bob_join, mallory_join, mallory_as_a_join, mallory_after_bob;
  Observed initial;  ///< a's public state as every input starts from it

  static AdmissionFixture& get() {
    static AdmissionFixture f;
    return f;
  }

 private:
  AdmissionFixture() {
    fuzz::DeterministicRandom::install();
    enclave::Enclave e(enclave::make_simulation_platform(), std::nullopt);
    result_of(dispatcher, e, "init", Json{{"dataDir", dir.path()}});
    const Json evidence = result_of(dispatcher, e, "evidence", Json::object());
    own_address = hex_bytes(evidence["address"]);
    own_signature_key = hex_bytes(evidence["mlsSignatureKey"]);
    result_of(dispatcher, e, "mls_admit_evidence", dev_ias::admit_params_of(evidence));
    result_of(dispatcher, e, "mls_create_group", Json{{"domain", test_domain()}, {"policy", dev_ias::test_policy()}});
    const Json public_state = result_of(dispatcher, e, "mls_public_state", Json::object());
    initial = observe(dispatcher, e, nullptr);
    bob_evidence = bob.evidence_for(bob);
    bob_evidence_for_mallory = bob.evidence_for(mallory);
    bob_join = join_handshake(public_state, bob.identity(bob.address));
    mallory_join = join_handshake(public_state, mallory.identity(bob.address));
    mallory_as_a_join = join_handshake(public_state, mallory.identity(own_address));
    // The oracle is not vacuous: with bob's evidence admitted his join is accepted, without it refused.
    fuzz::TempDir probe_dir;
    probe_dir.copy_files_from(dir.path());
    enclave::Enclave probe(enclave::make_simulation_platform(), std::nullopt);
    result_of(dispatcher, probe, "init", Json{{"dataDir", probe_dir.path()}});
    if (call(dispatcher, probe, "mls_process_handshake", Json{{"handshake", bob_join}}).contains("result")) {
      fuzz::fail("fixture", "bob's join was accepted without his evidence");
    }
    result_of(dispatcher, probe, "mls_admit_evidence", bob_evidence);
    result_of(dispatcher, probe, "mls_process_handshake", Json{{"handshake", bob_join}});
    mallory_after_bob = join_handshake(result_of(dispatcher, probe, "mls_public_state", Json::object()),
                                       mallory.identity(bob.address));
  }
};

// Reads the operands of an action: a length byte, then up to that many bytes.
struct Reader {
  const uint8_t* data;
  size_t size;
  size_t at = 0;

  bool done() const { return at >= size; }
  uint8_t byte() { return at < size ? data[at++] : 0; }
  Bytes operands() {
    const size_t n = std::min<size_t>(byte(), size - at);
    Bytes out(data + at, data + at + n);
    at += n;
    return out;
  }
};

// Flips bytes of `hex_text`'s decoding at the positions and with the masks the operands give.
std::string flipped(const std::string& hex_text, const Bytes& operands) {
  Bytes bytes = from_hex(hex_text);
  if (bytes.empty()) return hex(bytes);
  for (size_t i = 0; i + 1 < operands.size(); i += 2) {
    const uint8_t mask = operands[i + 1] == 0 ? 1 : operands[i + 1];
    bytes[(static_cast<size_t>(operands[i]) * 7919u) % bytes.size()] ^= mask;
  }
  return hex(bytes);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  AdmissionFixture::get();
  std::vector<std::pair<std::string, Bytes>> seeds = {
      {"attested-join", Bytes{0, 3}},
      {"unattested-join", Bytes{3}},
      {"host-key-claiming-bob", Bytes{4}},
      {"host-key-claiming-a", Bytes{7}},
      {"evidence-for-mallory-then-her-join", Bytes{2, 4}},
      {"mallory-claiming-a-with-evidence", Bytes{2, 7}},
      {"mallory-key-under-bob-evidence", Bytes{0, 4}},
      {"duplicate-identity", Bytes{0, 2, 3, 9}},
      {"flipped-evidence", Bytes{1, 4, 10, 1, 200, 0x80, 3}},
      {"flipped-join", Bytes{0, 5, 4, 33, 1, 90, 0x40}},
      {"raw-handshake", Bytes{6, 4, 0, 1, 2, 3}},
      {"join-twice", Bytes{0, 3, 3, 8, 3}},
  };
  fuzz::write_seeds_if_asked(seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 512) return 0;
  AdmissionFixture& f = AdmissionFixture::get();
  fuzz::TempDir dir;  // fresh state for every input
  dir.copy_files_from(f.dir.path());
  enclave::Enclave e(enclave::make_simulation_platform(), std::nullopt);
  result_of(f.dispatcher, e, "init", Json{{"dataDir", dir.path()}});

  // (signature key, address) bindings established by evidence the enclave accepted in this input.
  std::vector<std::pair<Bytes, Bytes>> bindings;
  const auto admit = [&](const Json& evidence, const Bytes& address) {
    if (!call(f.dispatcher, e, "mls_admit_evidence", evidence).contains("result")) return;
    const Bytes key = hex_bytes(evidence["mlsSignatureKey"]);
    if (key != f.bob.keys.public_key && key != f.mallory.keys.public_key) {
      fuzz::fail("admission", "evidence was accepted for keys its report does not bind: " + evidence.dump());
    }
    bindings.emplace_back(key, address);
  };
  uint64_t block_time = dev_ias::kReportUnixTime;
  std::string trace;
  // ANONIFY_FUZZ_TRACE=1: each handshake's outcome or refusal on stderr (to check what seeds reach).
  static const bool trace_enabled = std::getenv("ANONIFY_FUZZ_TRACE") != nullptr;
  Reader in{data, size};
  Observed before = observe(f.dispatcher, e, &f.initial);
  while (!in.done()) {
    const uint8_t action = in.byte() % 10;
    trace += std::to_string(action) + " ";
    std::optional<std::string> handshake;
    switch (action) {
      case 0: admit(f.bob_evidence, f.bob.address); break;
      case 1: {
        Json evidence = f.bob_evidence;
        const Bytes ops = in.operands();
        const char* fields[] = {"report", "signature", "signingCertificate", "hpkePublicKey", "mlsSignatureKey"};
        evidence[fields[(ops.empty() ? 0 : ops[0]) % 5]] =
            flipped(evidence[fields[(ops.empty() ? 0 : ops[0]) % 5]].get<std::string>(), ops);
        admit(evidence, f.bob.address);
        break;
      }
      case 2: admit(f.bob_evidence_for_mallory, f.bob.address); break;
      case 3: handshake = f.bob_join; break;
      case 4: handshake = f.mallory_join; break;
      case 5: handshake = flipped(f.bob_join, in.operands()); break;
      case 6: handshake = hex(in.operands()); break;
      case 7: handshake = f.mallory_as_a_join; break;
      case 8: block_time += 1 + in.byte() * 3600u; break;
      case 9: handshake = f.mallory_after_bob; break;
    }
    if (handshake) {
      const Json answer = call(f.dispatcher, e, "mls_process_handshake",
                               Json{{"handshake", *handshake}, {"blockTimestamp", std::to_string(block_time)}});
      if (trace_enabled) {
        std::fprintf(stderr, "  action %d: %s\n", action,
                     answer.contains("result") ? answer["result"]["outcome"].dump().c_str()
                                               : answer["error"]["code"].dump().c_str());
      }
      Observed after = observe(f.dispatcher, e, &before);
      if (!answer.contains("result") && !(after.view == before.view)) {
        fuzz::fail("admission", "a refused handshake changed the group (actions " + trace + "): " + answer.dump());
      }
      // A genesis entry (empty commit) is the log's first entry: a member takes it as a no-op.
      const bool genesis = answer.contains("result") && answer["result"]["outcome"] == "genesis";
      if (genesis && !(after.view == before.view)) fuzz::fail("admission", "a genesis entry changed the group (actions " + trace + ")");
      if (answer.contains("result") && !genesis && after.view.epoch != before.view.epoch + 1) {
        fuzz::fail("admission", "an accepted handshake did not move the epoch by one (actions " + trace + "): " + answer.dump());
      }
      before = std::move(after);
    }
    // Every leaf is a's own or one that admitted evidence binds to its credential; identities are unique.
    const std::vector<std::pair<Bytes, Bytes>>& leaves = before.view.leaves;
    for (size_t i = 0; i < leaves.size(); ++i) {
      for (size_t j = i + 1; j < leaves.size(); ++j) {
        if (leaves[i].second == leaves[j].second) {
          fuzz::fail("admission", "two leaves share the identity " + to_hex(leaves[i].second) + " (actions " + trace + ")");
        }
      }
    }
    for (const auto& leaf : leaves) {
      const bool own = leaf.first == f.own_signature_key && leaf.second == f.own_address;
      const bool attested = std::find(bindings.begin(), bindings.end(), leaf) != bindings.end();
      if (!own && !attested) {
        const auto& [key, identity] = leaf;
        fuzz::fail("admission", "a leaf without verified evidence is in the tree (actions " + trace + "): key " +
                                    to_hex(key) + ", identity " + to_hex(identity));
      }
    }
  }
  return 0;
}
