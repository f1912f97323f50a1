// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {PckChain} from "./PckChain.sol";
import {SgxExtension} from "./SgxExtension.sol";

/**
 * @title PckCertificateCache
 * @notice Caches verified PCK chains (like IasVerifier caches the report-signing key): the first quote from a
 * platform pays for the chain (PEM, two certificates, two P256VERIFY calls, the SGX extension); later quotes
 * carrying the same chain bytes only re-check the validity windows at the new time. Keyed by keccak256 of the
 * PEM exactly as the quote carries it. Stored compactly in eight slots; the serials themselves (only needed to
 * report a revocation) in two more, read only then.
 */
abstract contract PckCertificateCache {
    /// @dev A cached chain: what verification and revocation need later.
    struct CachedPck {
        bytes32 keyX;
        bytes32 keyY;
        bytes16 components;
        bytes16 cpuSvn;
        bytes6 fmspc;
        bytes2 pceId;
        uint16 pceSvn;
        uint64 pckCaNotBefore;
        uint64 pckCaNotAfter;
        uint64 pckNotBefore;
        uint64 pckNotAfter;
        bytes32 pckSerialHash;
        bytes32 pckCaSerialHash;
        bytes32 pckCaSubjectHash;
    }

    /// @dev The serials' magnitude bytes, for `CertificateRevoked(role, serial)`.
    struct CachedSerials {
        bytes pck;
        bytes pckCa;
    }

    /// @notice A PCK chain was verified under the pinned root and cached.
    /// @param chainHash keccak256 of the PEM chain as carried by the quote
    /// @param fmspc the platform's FMSPC
    /// @param pckSerial the PCK certificate's serial number (magnitude bytes)
    event PckChainCached(bytes32 indexed chainHash, bytes6 indexed fmspc, bytes pckSerial);

    mapping(bytes32 chainHash => CachedPck) private _cache;
    mapping(bytes32 chainHash => CachedSerials) private _serials;

    /// @notice The pinned root (Intel SGX Root CA in production).
    function _pinnedRoot() internal view virtual returns (PckChain.PinnedRoot memory);

    /// @notice Whether the chain with this hash is cached.
    /// @param chainHash keccak256 of the PEM chain
    function isPckChainCached(bytes32 chainHash) public view returns (bool) {
        return _cache[chainHash].pckSerialHash != bytes32(0);
    }

    /**
     * @notice The verified chain for `pem` at `now_`: from the cache (validity windows re-checked, in the
     * order a full check would report them) or verified now and cached.
     */
    function _pckChain(bytes calldata pem, uint256 now_) internal returns (CachedPck memory c) {
        bytes32 chainHash = keccak256(pem);
        c = _cache[chainHash];
        PckChain.PinnedRoot memory root = _pinnedRoot();
        if (c.pckSerialHash != bytes32(0)) {
            PckChain.Verified memory windows;
            (windows.pckCaNotBefore, windows.pckCaNotAfter) = (c.pckCaNotBefore, c.pckCaNotAfter);
            (windows.pckNotBefore, windows.pckNotAfter) = (c.pckNotBefore, c.pckNotAfter);
            PckChain.checkValidityAgain(windows, root, now_);
            return c;
        }
        PckChain.Verified memory v = _verifyPckChain(pem, root, now_);
        c = _compact(v);
        _cache[chainHash] = c;
        _serials[chainHash] = CachedSerials({pck: v.pckSerial, pckCa: v.pckCaSerial});
        emit PckChainCached(chainHash, v.tcb.fmspc, v.pckSerial);
    }

    /// @notice The serials (magnitude bytes) of a cached chain's PCK and PCK CA certificates (empty when not cached).
    function _pckSerials(bytes32 chainHash) internal view returns (bytes memory pck, bytes memory pckCa) {
        CachedSerials storage s = _serials[chainHash];
        return (s.pck, s.pckCa);
    }

    /// @notice Verifies a chain not cached yet ({PckChain.verify}, P256VERIFY); a verifier may choose its P-256 path.
    function _verifyPckChain(bytes calldata pem, PckChain.PinnedRoot memory root, uint256 now_)
        internal
        view
        virtual
        returns (PckChain.Verified memory)
    {
        return PckChain.verify(pem, root, now_);
    }

    function _compact(PckChain.Verified memory v) private pure returns (CachedPck memory c) {
        SgxExtension.PlatformTcb memory t = v.tcb;
        c = CachedPck({
            keyX: v.pckKeyX,
            keyY: v.pckKeyY,
            components: t.components,
            cpuSvn: t.cpuSvn,
            fmspc: t.fmspc,
            pceId: t.pceId,
            pceSvn: t.pceSvn,
            pckCaNotBefore: v.pckCaNotBefore,
            pckCaNotAfter: v.pckCaNotAfter,
            pckNotBefore: v.pckNotBefore,
            pckNotAfter: v.pckNotAfter,
            pckSerialHash: keccak256(v.pckSerial),
            pckCaSerialHash: keccak256(v.pckCaSerial),
            pckCaSubjectHash: v.pckCaSubjectHash
        });
    }
}
