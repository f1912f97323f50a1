// PEM certificate chains of DCAP (splitPemChain in src/attestation/dcap/x509.ts): the PCK chain a
// quote carries and the TCB Signing chain of the collateral.
#pragma once

#include <vector>

#include "anonify/bytes.h"

namespace anonify::attestation::dcap {

/// Splits a PEM chain into DER certificates: only CERTIFICATE blocks (strict base64 in lines split
/// by CR/LF) separated by ASCII space, tab, CR, LF; one trailing NUL allowed (Intel's quoting
/// library writes one). A bad block is PckChainEncodingInvalid(index).
std::vector<Bytes> split_pem_chain(ByteView pem);

}  // namespace anonify::attestation::dcap
