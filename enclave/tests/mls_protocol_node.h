// An enclave driven through the protocol dispatcher, as the host drives it, for the MLS method
// tests: calls, error replies, restarts, and a fingerprint of everything a request could change.
#pragma once

#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "anonify/enclave/enclave.h"
#include "anonify/enclave/methods.h"
#include "enclave_test_util.h"
#include "evidence_test_util.h"

namespace anonify::enclave::testing_mls {

class Node {
 public:
  explicit Node(const std::string& data_dir) : data_dir_(data_dir) { restart(); }

  void restart() {
    enclave_ = std::make_unique<Enclave>(make_simulation_platform(), std::nullopt);
    call("init", Json{{"dataDir", data_dir_}});
  }

  // A restart whose `init` must fail: returns the error object; the enclave stays uninitialized.
  Json restart_error() {
    enclave_ = std::make_unique<Enclave>(make_simulation_platform(), std::nullopt);
    return error("init", Json{{"dataDir", data_dir_}});
  }

  const std::string& data_dir() const noexcept { return data_dir_; }

  Json call(const std::string& method, const Json& params = Json::object()) {
    const Json response = raw(method, params);
    EXPECT_TRUE(response.contains("result")) << method << ": " << response.dump();
    return response.value("result", Json());
  }

  // The error object ({"code", "message"}) of a request expected to fail.
  Json error(const std::string& method, const Json& params = Json::object()) {
    const Json response = raw(method, params);
    EXPECT_TRUE(response.contains("error")) << method << " unexpectedly succeeded: " << response.dump();
    return response.value("error", Json{{"code", ""}, {"message", ""}});
  }

  std::string error_code(const std::string& method, const Json& params = Json::object()) {
    return error(method, params)["code"].get<std::string>();
  }

  // Hands this enclave `other`'s evidence (its quote signed by the development IAS), as the node
  // does before a handshake that brings `other`'s leaf.
  Json admit_evidence_of(Node& other) {
    return call("mls_admit_evidence", testing::dev_ias::admit_params_of(other.call("evidence")));
  }

  // Admits its own evidence and creates the group of `domain` under the test policy.
  Json create_group(const Json& domain) {
    admit_evidence_of(*this);
    return call("mls_create_group", Json{{"domain", domain}, {"policy", testing::dev_ias::test_policy()}});
  }

  // Everything an MLS request may change: the group and follower status, the public state served
  // (or its refusal), and the sealed group file byte for byte (rewritten, with a fresh nonce, on
  // every seal; "absent" before the first).
  std::string mls_fingerprint() {
    const Json status = call("mls_status");
    const Json public_state = raw("mls_public_state", Json::object());
    std::ifstream sealed(data_dir_ + "/mls-group.sealed", std::ios::binary);
    const std::string sealed_bytes =
        sealed ? std::string(std::istreambuf_iterator<char>(sealed), std::istreambuf_iterator<char>()) : "absent";
    return status.dump() + "\n" +
           (public_state.contains("result") ? public_state["result"].dump() : public_state["error"]["code"].dump()) +
           "\n" + to_hex(ByteView::from_string(sealed_bytes));
  }

 private:
  Json raw(const std::string& method, const Json& params) {
    const std::string body = Json{{"id", ++id_}, {"method", method}, {"params", params}}.dump();
    const Bytes out = dispatcher_.handle(*enclave_, ByteView::from_string(body));
    return Json::parse(out.begin(), out.end());
  }

  std::string data_dir_;
  EnclaveDispatcher dispatcher_ = make_dispatcher();
  std::unique_ptr<Enclave> enclave_;
  int id_ = 0;
};

// Every node admits the evidence of every node (itself included): what the node software does from
// the chain before the handshakes that bring their leaves.
inline void admit_all(std::initializer_list<Node*> nodes) {
  for (Node* holder : nodes) {
    for (Node* member : nodes) holder->admit_evidence_of(*member);
  }
}

// The EIP-712 domain the tests sign handshakes for.
inline Json test_domain() {
  return Json{{"name", "Anonify"}, {"version", "1"}, {"chainId", 31337},
              {"verifyingContract", "0x00000000000000000000000000000000000000aa"}};
}

// `a` creates the test domain's group and `b` joins it by external commit, both admitting each
// other's evidence first and applying every entry, as two nodes do from the log (MLS epoch 1).
inline void form_two_member_group(Node& a, Node& b) {
  const Json domain = test_domain();
  admit_all({&a, &b});
  const Json genesis = a.create_group(domain);
  b.call("mls_process_handshake", Json{{"handshake", genesis["handshake"]}});
  const Json join = b.call("mls_join_external", Json{{"domain", domain}});
  a.call("mls_process_handshake", Json{{"handshake", join["handshake"]}});
  b.call("mls_process_handshake", Json{{"handshake", join["handshake"]}});
}

}  // namespace anonify::enclave::testing_mls
