// The application a group runs on its shared log. A Runtime is a deterministic state machine:
// every enclave feeds it the same commands in the same order and must reach byte-identical state.
// Implementations therefore use no randomness, no clock, no unordered containers and no floating
// point, and reject a bad command without changing anything. docs/runtimes.md explains how to add
// one; TokenRuntime (token.h) is the example.
//
// What a runtime does NOT do: decryption, signatures, nonces, log order, sealing. The Ledger
// (ledger.h) does those for every runtime and hands it only commands that a user really signed.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "anonify/bytes.h"
#include "anonify/mls/tls_codec.h"

namespace anonify::runtime {

using Json = nlohmann::json;

constexpr size_t kAddressSize = 20;
/// An Ethereum account (20 bytes).
using Address = std::array<uint8_t, kAddressSize>;

/// Parses "0x" + 40 hex digits (either case); nullopt otherwise.
std::optional<Address> parse_address(std::string_view text);
/// "0x" + 40 lower-case hex digits.
std::string format_address(const Address& address);
Address address_from_bytes(ByteView bytes);  ///< throws Error(InvalidArgument) unless 20 bytes

/// An address in a canonical state encoding: its 20 bytes.
void encode_address(mls::TlsWriter& out, const Address& address);
Address decode_address(mls::TlsReader& in);
/// A text in a canonical state encoding, as TlsWriter::opaque writes it (opaque<V>, its bytes).
std::string decode_text(mls::TlsReader& in);

/// Result of applying one user command.
struct Transition {
  bool applied = false;
  std::string reason;            ///< why it was rejected (empty when applied)
  std::set<Address> affected;    ///< accounts whose runtime state changed (for notifications)

  static Transition accept(std::set<Address> affected) { return Transition{true, "", std::move(affected)}; }
  static Transition reject(std::string reason) { return Transition{false, std::move(reason), {}}; }
};

/// Answer to a read: a JSON result, or an error code ("not_authorized", "malformed_query") the
/// client sees inside its encrypted reply.
struct QueryAnswer {
  bool ok = false;
  Json result;
  std::string error_code;
  std::string message;

  static QueryAnswer success(Json result) { return QueryAnswer{true, std::move(result), "", ""}; }
  static QueryAnswer failure(std::string code, std::string message) {
    return QueryAnswer{false, nullptr, std::move(code), std::move(message)};
  }
  /// failure("malformed_query", message)
  static QueryAnswer malformed(std::string message) { return failure("malformed_query", std::move(message)); }
};

class Runtime {
 public:
  virtual ~Runtime() = default;

  /// Stable name, part of the canonical serialization (so two runtimes never share a state hash).
  virtual std::string_view name() const = 0;
  /// Whether the application was set up (the token: `init` applied); reported by state_status.
  virtual bool initialized() const = 0;

  /// Applies `payload` (the exact command bytes the user signed) from `sender`. A rejection must
  /// leave the state unchanged and carry a reason; the same input must give the same result and
  /// state on every enclave.
  virtual Transition apply(const Address& sender, ByteView payload) = 0;

  /// Whether apply(sender, payload) would accept the command against the current state, without
  /// changing anything: accepted (`affected` need not be filled) or rejected with exactly the reason
  /// apply would give. state_submit runs it before sealing an entry, so a command the runtime would
  /// reject is refused (`command_refused`) instead of being posted and rejected by every enclave.
  /// Advisory: apply at the command's place in the log stays authoritative (entries applied in
  /// between can change the verdict). The default applies to a copy (exact, but copies the whole
  /// state per submission); a runtime with a large state overrides it with a check that runs the same
  /// rule code as apply without writing (TokenRuntime does).
  virtual Transition check(const Address& sender, ByteView payload) const { return clone()->apply(sender, payload); }

  /// Answers a parsed query object for `sender` (who signed it), enforcing who may read what.
  /// Must not change the state.
  virtual QueryAnswer query(const Address& sender, const Json& query) const = 0;

  /// Canonical encoding of the whole state: equal states encode to equal bytes.
  virtual void encode(mls::TlsWriter& out) const = 0;
  /// Replaces the state by a decoded one; throws anonify::Error on malformed input.
  virtual void decode(mls::TlsReader& in) = 0;

  /// A deep copy (the ledger applies entries on a copy and keeps it only once it is sealed).
  virtual std::unique_ptr<Runtime> clone() const = 0;
};

}  // namespace anonify::runtime
