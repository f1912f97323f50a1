// Protocol methods of the enclave foundation: status, init, evidence, seal (PROTOCOL.md).
#include "anonify/enclave/methods.h"
#include "anonify/runtime/registry.h"

namespace anonify::enclave {

namespace {

using protocol::hex_param;

Json identity_json(const Identity& identity) {
  return Json{{"address", hex_param(identity.eth_address())},
              {"secp256k1PublicKey", hex_param(identity.secp256k1_public_key())},
              {"hpkePublicKey", hex_param(identity.hpke_public_key())},
              {"mlsSignatureKey", hex_param(identity.mls_signature_public_key())}};
}

}  // namespace

ANONIFY_PROTOCOL_METHOD(status)(Enclave& enclave, const protocol::Params&) {
  Json result{{"version", kEnclaveVersion},
              {"protocolVersion", kProtocolVersion},
              {"mode", mode_name(enclave.mode())},
              {"mrenclave", hex_param(enclave.platform().mrenclave())},
              {"initialized", enclave.initialized()},
              {"methods", registered_methods()},
              {"runtimes", runtime::carried_runtimes()}};
  if (enclave.initialized()) result["address"] = hex_param(enclave.identity().eth_address());
  return result;
}

ANONIFY_PROTOCOL_METHOD(init)(Enclave& enclave, const protocol::Params& params) {
  Enclave::InitOutcome outcome = enclave.init(params.optional_string("dataDir"));
  Json result = identity_json(enclave.identity());
  result["created"] = outcome.created;
  result["dataDir"] = outcome.data_dir;
  result["mode"] = mode_name(enclave.mode());
  result["mrenclave"] = hex_param(enclave.platform().mrenclave());
  return result;
}

ANONIFY_PROTOCOL_METHOD(evidence)(Enclave& enclave, const protocol::Params&) {
  const Identity& identity = require_identity(enclave);
  Bytes report_data = identity.report_data();
  Bytes quote = enclave.platform().quote(report_data);
  Json result = identity_json(identity);
  result["mode"] = mode_name(enclave.mode());
  result["mrenclave"] = hex_param(enclave.platform().mrenclave());
  result["reportData"] = hex_param(report_data);
  result["quote"] = hex_param(quote);
  return result;
}

ANONIFY_PROTOCOL_METHOD(seal)(Enclave& enclave, const protocol::Params&) {
  require_identity(enclave);
  std::vector<std::string> written = enclave.seal_all();
  return Json{{"dataDir", enclave.sealed_store().data_dir()}, {"sealed", written}};
}

}  // namespace anonify::enclave
