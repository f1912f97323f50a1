// The runtime SDK: everything a state runtime includes, and nothing else it may rely on. A runtime
// written against this header (a user's, in `enclave-runtimes/<name>/` of a Hardhat project, or
// one of the package's) is compiled into the enclave binary, and so into its measurement.
//
//   runtime.h     Runtime (apply / check / query / encode / decode / clone), Transition,
//                 QueryAnswer, Address with parse_address / format_address
//   registry.h    ANONIFY_RUNTIME(Class, "name/v1"): registers the runtime under its name
//   json_input.h  strict JSON input: detail::parse_object, check_string_members, utf8_excerpt
//   planned.h     the plan / execute shape (reject, require_string_members, plan_then_execute,
//                 plan_only): check() without copying the state, agreeing with apply() by construction
//   error.h       anonify::Error, thrown by decode on input the runtime cannot have produced
//   mls/tls_codec.h (through runtime.h): TlsWriter / TlsReader for the canonical state encoding
//
// Stability: these declarations are the SDK's interface for protocol v1 (docs/runtimes.md,
// "The runtime SDK"); a change to them is a change of the package's major version. A runtime must
// not include other enclave headers: they are internal and change without notice.
#pragma once

#include "anonify/error.h"
#include "anonify/runtime/json_input.h"
#include "anonify/runtime/planned.h"
#include "anonify/runtime/registry.h"
#include "anonify/runtime/runtime.h"
