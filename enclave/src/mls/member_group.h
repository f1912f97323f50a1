// What the rest of the enclave may know of the MLS component's group (mls_methods.cpp).
//
// The group in memory is the authority while the enclave runs: the state runtime takes its epoch
// and exporter keys from here, never from the sealed "mls-group" blob (which is read once, at
// init). A host that swaps sealed files while the enclave runs changes nothing.
#pragma once

#include "anonify/enclave/enclave.h"
#include "anonify/mls/group.h"

namespace anonify::enclave {

/// The enclave's group as it is now; nullptr without one (or before `init`).
const mls::Group* mls_group(Enclave& enclave);

/// The collateral grace (seconds) of the group the enclave holds, else of the log it follows, else
/// 0: what mls_admit_evidence verifies DCAP collateral freshness with (admission re-judges it).
uint64_t mls_collateral_grace(Enclave& enclave);

/// True after a restart from sealed state (the group came from a sealed blob an older copy of the
/// data directory may also hold) until this run's own self-update commit (mls_commit_update) is
/// applied from the log. Until then the enclave produces no state entries and no handshake other
/// than that self-update (Error(SelfUpdateRequired)).
bool mls_self_update_required(Enclave& enclave);

/// Throws Error(SelfUpdateRequired) while mls_self_update_required() holds; `what` names the
/// refused operation in the message.
void require_no_pending_self_update(Enclave& enclave, const char* what);

}  // namespace anonify::enclave
