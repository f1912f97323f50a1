// The bytes an enclave posts to the chain's handshake log (AnonifyGroup `handshake`):
//
//   struct {
//     opaque commit<V>;      // MLSMessage(PublicMessage Commit); empty for the genesis entry
//     opaque group_info<V>;  // MLSMessage(GroupInfo) of the epoch the entry creates, signed by its
//                            // author, with external_pub (and the ratchet_tree extension at genesis)
//   } AnonifyHandshake;
//
// Replaying these entries in order rebuilds the public group state (PublicGroup) and, for members,
// the group itself (Group::process_handshake on `commit`).
#pragma once

#include "anonify/mls/tls_codec.h"

namespace anonify::mls {

struct HandshakeEntry {
  Bytes commit;
  Bytes group_info;

  bool is_genesis() const { return commit.empty(); }
  void encode(TlsWriter& w) const {
    w.opaque(commit);
    w.opaque(group_info);
  }
  static HandshakeEntry decode(TlsReader& r) {
    HandshakeEntry e;
    e.commit = r.opaque();
    e.group_info = r.opaque();
    return e;
  }
};

}  // namespace anonify::mls
