// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {P256} from "./P256.sol";

/**
 * @title P256Software
 * @notice ECDSA P-256 (secp256r1) verification in EVM code, for chains without the P256VERIFY precompile. The
 * verdict is the precompile's (EIP-7951) for every input: r and s in [1, n-1], the key (x, y) with coordinates
 * below p and on the curve (so never the point at infinity, which has no affine encoding: (0, 0) is off the
 * curve as b != 0), u1 = h·s⁻¹ and u2 = r·s⁻¹ mod n, R = u1·G + u2·Q, valid iff R is not the point at
 * infinity and R.x mod n == r. High s is accepted: (r, s) and (r, n - s) verify alike, since n - s gives
 * -R, whose x is R's, so the verdict never depends on s being low.
 *
 * Method: s⁻¹ and the one field inversion (G + Q to affine) by Fermat through the MODEXP precompile (0x05:
 * 4,180 gas each on osaka; an extended-Euclid loop in assembly measured ~17,000); R by Shamir's trick (one
 * pass of up to 256 doublings, adding G, Q or G + Q by the bits of u1 and u2) in XYZZ coordinates (x = X/ZZ,
 * y = Y/ZZZ, ZZ³ = ZZZ²), the doubling and the mixed addition of the Explicit-Formulas Database
 * (https://hyperelliptic.org/EFD/g1p/auto-shortw-xyzz-3.html, "dbl-2008-s-1" with a = -3 and "madd-2008-s").
 * The mixed addition's exceptional cases are handled: the accumulator at infinity (ZZ = 0) takes the added
 * point; equal points are doubled; opposite points give infinity. R.x is compared without an inversion:
 * R.x mod n == r iff X == r·ZZ or (r + n < p and X == (r + n)·ZZ), as R.x < p < 2n.
 */
library P256Software {
    /// @dev Curve parameters (SEC 2, secp256r1): y^2 = x^3 - 3x + b mod p (b: P256.B), generator G of prime
    /// order n. P is P256.P, restated here for the assembly.
    uint256 internal constant P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffff;
    uint256 internal constant N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551;
    uint256 internal constant GX = 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296;
    uint256 internal constant GY = 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5;
    /// @dev Fermat exponents: a⁻¹ = a^(m-2) mod m for prime m.
    uint256 private constant P_MINUS_2 = P - 2;
    uint256 private constant N_MINUS_2 = N - 2;
    /// @dev p - n: R.x may be r + n only when r < p - n.
    uint256 private constant P_MINUS_N = P - N;
    uint256 private constant MODEXP = 0x05;
    /// @dev MODEXP input: three 32-byte lengths, then base, exponent, modulus.
    uint256 private constant MODEXP_INPUT_LENGTH = 0xc0;

    /// @notice Whether (r, s) is a valid signature of `digest` (a SHA-256 hash) under the key (x, y): the
    /// verdict of P256VERIFY for the same 160-byte input.
    function verify(bytes32 digest, bytes32 r, bytes32 s, bytes32 x, bytes32 y) internal view returns (bool) {
        uint256 rr = uint256(r);
        uint256 ss = uint256(s);
        if (rr == 0 || rr >= N || ss == 0 || ss >= N) return false;
        if (!P256.isOnCurve(uint256(x), uint256(y))) return false;
        uint256 rx;
        uint256 rzz;
        {
            (uint256 table, uint256 u1, uint256 u2) = pointTable(uint256(digest), rr, ss, uint256(x), uint256(y));
            // Both zero only when Q = ±G and the multiples cancel: R is the point at infinity.
            if (u1 | u2 == 0) return false;
            (rx, rzz) = mulMulAdd(u1, u2, table);
        }
        if (rzz == 0) return false;
        if (rx == mulmod(rr, rzz, P)) return true;
        // rr < P_MINUS_N < n, so rr + N cannot overflow.
        return rr < P_MINUS_N && rx == mulmod(rr + N, rzz, P);
    }

    /// @notice base^exponent mod modulus through the MODEXP precompile (reverts only if the call runs out of gas).
    function modexp(uint256 base, uint256 exponent, uint256 modulus) private view returns (uint256 result) {
        assembly ("memory-safe") {
            // Scratch above the free memory pointer, not reserved: nothing else is written meanwhile.
            let input := mload(0x40)
            mstore(input, 0x20)
            mstore(add(input, 0x20), 0x20)
            mstore(add(input, 0x40), 0x20)
            mstore(add(input, 0x60), base)
            mstore(add(input, 0x80), exponent)
            mstore(add(input, 0xa0), modulus)
            if iszero(staticcall(gas(), MODEXP, input, MODEXP_INPUT_LENGTH, input, 0x20)) { revert(0, 0) }
            result := mload(input)
        }
    }

    /**
     * @notice The scalars u1 = e·s⁻¹, u2 = r·s⁻¹ mod n, and the points Shamir's trick adds, in memory: G, Q and
     * H = G + Q in affine coordinates (x then y), for r, s in [1, n-1] and Q on the curve.
     * @dev When Q = ±G the sum is (u1 ± u2)·G and is computed as that single multiple of G (u2 becomes 0, so
     * H, which would be 2G or the point at infinity, is never added and is left 0). Otherwise u2 > 0.
     */
    function pointTable(uint256 e, uint256 r, uint256 s, uint256 qx, uint256 qy)
        private
        view
        returns (uint256 table, uint256 u1, uint256 u2)
    {
        {
            uint256 sInv = modexp(s, N_MINUS_2, N);
            u1 = mulmod(e, sInv, N);
            u2 = mulmod(r, sInv, N);
        }
        uint256 hx;
        uint256 hy;
        if (qx == GX) {
            u1 = qy == GY ? addmod(u1, u2, N) : addmod(u1, N - u2, N);
            u2 = 0;
        } else {
            // H = G + Q: λ = (qy - Gy)/(qx - Gx), hx = λ² - Gx - qx, hy = λ(Gx - hx) - Gy.
            uint256 lambda = mulmod(addmod(qy, P - GY, P), modexp(addmod(qx, P - GX, P), P_MINUS_2, P), P);
            hx = addmod(mulmod(lambda, lambda, P), P - addmod(GX, qx, P), P);
            hy = addmod(mulmod(lambda, addmod(GX, P - hx, P), P), P - GY, P);
        }
        assembly ("memory-safe") {
            // P at table (for mulMulAdd), then the point for selector (bit of u1) | (bit of u2) << 1 (1 G, 2 Q,
            // 3 H) at table + 64·selector.
            table := mload(0x40)
            mstore(0x40, add(table, 0x100))
            mstore(table, P)
            mstore(add(table, 0x40), GX)
            mstore(add(table, 0x60), GY)
            mstore(add(table, 0x80), qx)
            mstore(add(table, 0xa0), qy)
            mstore(add(table, 0xc0), hx)
            mstore(add(table, 0xe0), hy)
        }
    }

    /**
     * @notice u1·G + u2·Q (u1 | u2 > 0) from the `table` of {pointTable} (the point for selector k at
     * table + 64·k): the X and ZZ of the XYZZ result (ZZ = 0: the point at infinity).
     */
    function mulMulAdd(uint256 u1, uint256 u2, uint256 table) private pure returns (uint256 x, uint256 zz) {
        assembly ("memory-safe") {
            // The field prime on the stack, read from memory: the optimizer would otherwise rebuild the constant
            // at every use (PUSH16, NOT, PUSH1, SHL: about 12 gas instead of a 3-gas DUP).
            let prime := mload(table)
            // Doubling, dbl-2008-s-1 (a = -3): U = 2Y, V = U², W = U·V, S = X·V, M = 3(X - ZZ)(X + ZZ),
            // X3 = M² - 2S, Y3 = M(S - X3) - W·Y, ZZ3 = V·ZZ, ZZZ3 = W·ZZZ. Infinity (ZZ = 0) stays infinity.
            // Every operand is reduced below the prime, so sub(prime, v) is in [1, prime] and
            // addmod(a, sub(prime, v), prime) is a - v mod prime.
            function double(x1, y1, zz1, zzz1, fp) -> x3, y3, zz3, zzz3 {
                // Fewer stack slots: zz3 holds V, zzz3 W, u holds U then S, y3 W·Y, before their final values.
                let u := addmod(y1, y1, fp)
                zz3 := mulmod(u, u, fp)
                zzz3 := mulmod(u, zz3, fp)
                u := mulmod(x1, zz3, fp)
                zz3 := mulmod(zz3, zz1, fp)
                y3 := mulmod(zzz3, y1, fp)
                zzz3 := mulmod(zzz3, zzz1, fp)
                let m := mulmod(3, mulmod(addmod(x1, sub(fp, zz1), fp), addmod(x1, zz1, fp), fp), fp)
                x3 := addmod(mulmod(m, m, fp), sub(fp, addmod(u, u, fp)), fp)
                y3 := addmod(mulmod(m, addmod(u, sub(fp, x3), fp), fp), sub(fp, y3), fp)
            }

            // The highest bit set in u1 or u2 starts the accumulator at that bit's point, with ZZ = ZZZ = 1.
            let i := 255
            for {} iszero(or(shr(i, u1), shr(i, u2))) { i := sub(i, 1) } {}
            let y := add(table, shl(6, or(and(shr(i, u1), 1), shl(1, and(shr(i, u2), 1)))))
            x := mload(y)
            y := mload(add(y, 0x20))
            zz := 1
            let zzz := 1

            for {} i {} {
                i := sub(i, 1)
                // double(x, y, zz, zzz, prime) inlined (no call, no argument copies); u holds U, W, then S;
                // v holds V then ZZ3; zz holds M until X3 and Y3 are made.
                {
                    let u := addmod(y, y, prime)
                    let v := mulmod(u, u, prime)
                    u := mulmod(u, v, prime)
                    y := mulmod(u, y, prime)
                    zzz := mulmod(u, zzz, prime)
                    u := mulmod(x, v, prime)
                    v := mulmod(v, zz, prime)
                    zz := mulmod(3, mulmod(addmod(x, sub(prime, zz), prime), addmod(x, zz, prime), prime), prime)
                    x := addmod(mulmod(zz, zz, prime), sub(prime, addmod(u, u, prime)), prime)
                    y := addmod(mulmod(zz, addmod(u, sub(prime, x), prime), prime), sub(prime, y), prime)
                    zz := v
                }
                let ax := or(and(shr(i, u1), 1), shl(1, and(shr(i, u2), 1)))
                if ax {
                    // ax: the selector, then the address of the point to add (x, then y).
                    ax := add(table, shl(6, ax))
                    switch iszero(zz)
                    case 1 {
                        // Infinity + A = A.
                        x := mload(ax)
                        y := mload(add(ax, 0x20))
                        zz := 1
                        zzz := 1
                    }
                    default {
                        // Mixed addition, madd-2008-s: P = X2·ZZ - X, R = Y2·ZZZ - Y, PP = P², PPP = P·PP,
                        // Q = X·PP, X3 = R² - PPP - 2Q, Y3 = R(Q - X3) - Y·PPP, ZZ3 = ZZ·PP, ZZZ3 = ZZZ·PPP.
                        // (pd holds P then PPP, pp holds PP then Q, and R is computed only when P != 0: fewer
                        // stack slots.)
                        let pd := addmod(mulmod(mload(ax), zz, prime), sub(prime, x), prime)
                        switch iszero(pd)
                        case 0 {
                            let rd := addmod(mulmod(mload(add(ax, 0x20)), zzz, prime), sub(prime, y), prime)
                            let pp := mulmod(pd, pd, prime)
                            pd := mulmod(pd, pp, prime)
                            zz := mulmod(zz, pp, prime)
                            zzz := mulmod(zzz, pd, prime)
                            pp := mulmod(x, pp, prime)
                            y := mulmod(y, pd, prime)
                            x := addmod(
                                addmod(mulmod(rd, rd, prime), sub(prime, pd), prime), sub(prime, addmod(pp, pp, prime)), prime
                            )
                            y := addmod(mulmod(rd, addmod(pp, sub(prime, x), prime), prime), sub(prime, y), prime)
                        }
                        default {
                            // Same x: the same point (same y, R = 0) is doubled (the accumulator is that point), the
                            // opposite point gives infinity.
                            switch eq(mulmod(mload(add(ax, 0x20)), zzz, prime), y)
                            case 1 { x, y, zz, zzz := double(x, y, zz, zzz, prime) }
                            default {
                                zz := 0
                                zzz := 0
                            }
                        }
                    }
                }
            }
        }
    }
}
