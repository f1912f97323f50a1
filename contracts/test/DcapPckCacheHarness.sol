// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {DcapQuote} from "../attestation/dcap/DcapQuote.sol";
import {PckChain} from "../attestation/dcap/PckChain.sol";
import {PckCertificateCache} from "../attestation/dcap/PckCertificateCache.sol";
import {QuoteSignatures} from "../attestation/dcap/QuoteSignatures.sol";

/**
 * @title DcapPckCacheHarness
 * @notice Test-only: a quote's layout, its PCK chain through the cache, then its signatures, as one
 * transaction, so the tests measure the gas of a first quote (new chain) and of a later one (cached).
 * Collateral (TCB Info, QE Identity, CRLs) is not part of it. Not deployed anywhere.
 */
contract DcapPckCacheHarness is PckCertificateCache {
    PckChain.PinnedRoot private root;

    /// @notice Emitted when a quote's chain and signatures verified.
    /// @param pckKeyX the PCK key's x coordinate
    event QuoteChainAndSignaturesVerified(bytes32 pckKeyX);

    /// @param rootDer the root to pin
    constructor(bytes memory rootDer) {
        root = PckChain.pin(rootDer);
    }

    function _pinnedRoot() internal view override returns (PckChain.PinnedRoot memory) {
        return root;
    }

    /// @notice Layout, PCK chain (cached or verified and cached) at `now_`, quote signatures.
    /// @param quote the raw quote
    /// @param now_ the verification time (the tests pass the vector's time; a verifier uses block.timestamp)
    function checkQuote(bytes calldata quote, uint256 now_) external {
        DcapQuote.Layout memory q = DcapQuote.decode(quote);
        CachedPck memory pck = _pckChain(quote[q.pckChain:q.pckChain + q.pckChainLength], now_);
        QuoteSignatures.checkQeReport(quote, q, pck.keyX, pck.keyY);
        QuoteSignatures.checkQuoteSignature(quote, q);
        emit QuoteChainAndSignaturesVerified(pck.keyX);
    }
}
