// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {PckChain} from "./PckChain.sol";
import {SgxExtension} from "./SgxExtension.sol";
import {SStore2} from "../../lib/SStore2.sol";

/**
 * @title PckCertificateCache
 * @notice Caches verified PCK chains (like IasVerifier caches the report-signing key): the first quote from a
 * platform pays for the chain (PEM, two certificates, two P-256 verifications, the SGX extension); later quotes
 * carrying the same chain bytes only re-check the validity windows at the new time. Keyed by keccak256 of the
 * PEM exactly as the quote carries it.
 * @dev Each cached chain is one slot (the blob's address) and one SStore2 blob: a 234-byte
 * record (PCK key, 16 components, CPUSVN, FMSPC, PCEID, PCESVN, the PCK CA's and PCK's validity windows, the two
 * serial hashes, the PCK CA's subject hash), then both serials (u16 length, magnitude bytes) for revocation errors.
 * Writing it costs about half of the same in storage slots (~100k instead of ~220k gas), reading it one cold
 * SLOAD and one cold EXTCODECOPY instead of seven SLOADs.
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

    /// @notice A PCK chain was verified under the pinned root and cached.
    /// @param chainHash keccak256 of the PEM chain as carried by the quote
    /// @param fmspc the platform's FMSPC
    /// @param pckSerial the PCK certificate's serial number (magnitude bytes)
    event PckChainCached(bytes32 indexed chainHash, bytes6 indexed fmspc, bytes pckSerial);

    /// @dev Record offsets (packed): keyX 0, keyY 32, components 64, CPUSVN 80, FMSPC 96, PCEID 102, PCESVN 104,
    /// PCK CA notBefore 106, notAfter 114, PCK notBefore 122, notAfter 130, PCK serial hash 138, PCK CA serial hash
    /// 170, PCK CA subject hash 202; the serials from 234.
    uint256 private constant RECORD_LENGTH = 234;
    uint256 private constant SERIAL_LENGTH_BYTES = 2;

    mapping(bytes32 chainHash => address blob) private _blobs;

    /// @notice The pinned root (Intel SGX Root CA in production).
    function _pinnedRoot() internal view virtual returns (PckChain.PinnedRoot memory);

    /// @notice Whether the chain with this hash is cached.
    /// @param chainHash keccak256 of the PEM chain
    function isPckChainCached(bytes32 chainHash) public view returns (bool) {
        return _blobs[chainHash] != address(0);
    }

    /**
     * @notice The verified chain for `pem` at `now_`: from the cache (validity windows re-checked, in the
     * order a full check would report them) or verified now and cached.
     */
    function _pckChain(bytes calldata pem, uint256 now_) internal returns (CachedPck memory c) {
        bytes32 chainHash = keccak256(pem);
        address blob = _blobs[chainHash];
        PckChain.PinnedRoot memory root = _pinnedRoot();
        if (blob != address(0)) {
            c = _decode(SStore2.read(blob, 0, RECORD_LENGTH));
            PckChain.Verified memory windows;
            (windows.pckCaNotBefore, windows.pckCaNotAfter) = (c.pckCaNotBefore, c.pckCaNotAfter);
            (windows.pckNotBefore, windows.pckNotAfter) = (c.pckNotBefore, c.pckNotAfter);
            PckChain.checkValidityAgain(windows, root, now_);
            return c;
        }
        PckChain.Verified memory v = _verifyPckChain(pem, root, now_);
        c = _compact(v);
        _blobs[chainHash] = SStore2.write(bytes.concat(_encode(c), _encodeSerials(v.pckSerial, v.pckCaSerial)));
        emit PckChainCached(chainHash, v.tcb.fmspc, v.pckSerial);
    }

    /// @notice The serials (magnitude bytes) of a cached chain's PCK and PCK CA certificates (empty when not cached).
    function _pckSerials(bytes32 chainHash) internal view returns (bytes memory pck, bytes memory pckCa) {
        address pointer = _blobs[chainHash];
        if (pointer == address(0)) return (pck, pckCa);
        bytes memory data = SStore2.read(pointer, RECORD_LENGTH, pointer.code.length - 1 - RECORD_LENGTH);
        uint256 pckLength = _u16(data, 0);
        pck = _slice(data, SERIAL_LENGTH_BYTES, pckLength);
        uint256 at = SERIAL_LENGTH_BYTES + pckLength;
        pckCa = _slice(data, at + SERIAL_LENGTH_BYTES, _u16(data, at));
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

    function _encode(CachedPck memory c) private pure returns (bytes memory) {
        bytes memory head = abi.encodePacked(c.keyX, c.keyY, c.components, c.cpuSvn, c.fmspc, c.pceId, c.pceSvn);
        bytes memory tail = abi.encodePacked(
            c.pckCaNotBefore, c.pckCaNotAfter, c.pckNotBefore, c.pckNotAfter, c.pckSerialHash, c.pckCaSerialHash, c.pckCaSubjectHash
        );
        return bytes.concat(head, tail);
    }

    function _encodeSerials(bytes memory pck, bytes memory pckCa) private pure returns (bytes memory) {
        return abi.encodePacked(uint16(pck.length), pck, uint16(pckCa.length), pckCa);
    }

    function _decode(bytes memory data) private pure returns (CachedPck memory c) {
        uint256 components;
        uint256 platform;
        uint256 pckWindow;
        bytes32 x;
        bytes32 y;
        bytes32 pckSerialHash;
        bytes32 pckCaSerialHash;
        bytes32 pckCaSubjectHash;
        assembly ("memory-safe") {
            let p := add(data, 0x20)
            x := mload(p)
            y := mload(add(p, 32))
            components := mload(add(p, 64))
            platform := mload(add(p, 96))
            pckWindow := mload(add(p, 122))
            pckSerialHash := mload(add(p, 138))
            pckCaSerialHash := mload(add(p, 170))
            pckCaSubjectHash := mload(add(p, 202))
        }
        (c.keyX, c.keyY) = (x, y);
        c.components = bytes16(bytes32(components));
        c.cpuSvn = bytes16(bytes32(components << 128));
        // FMSPC bytes 0..5, PCEID 6..7, PCESVN 8..9, PCK CA notBefore 10..17, notAfter 18..25 of the word at 96.
        c.fmspc = bytes6(bytes32(platform));
        c.pceId = bytes2(bytes32(platform << 48));
        c.pceSvn = uint16(platform >> 176);
        c.pckCaNotBefore = uint64(platform >> 112);
        c.pckCaNotAfter = uint64(platform >> 48);
        c.pckNotBefore = uint64(pckWindow >> 192);
        c.pckNotAfter = uint64(pckWindow >> 128);
        (c.pckSerialHash, c.pckCaSerialHash, c.pckCaSubjectHash) = (pckSerialHash, pckCaSerialHash, pckCaSubjectHash);
    }

    function _u16(bytes memory b, uint256 at) private pure returns (uint256) {
        return (uint256(uint8(b[at])) << 8) | uint8(b[at + 1]);
    }

    function _slice(bytes memory b, uint256 start, uint256 length) private pure returns (bytes memory out) {
        out = new bytes(length);
        for (uint256 i = 0; i < length; ++i) {
            out[i] = b[start + i];
        }
    }
}
