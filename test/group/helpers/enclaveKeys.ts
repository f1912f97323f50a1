/**
 * The keys an Anonify enclave holds, played in contract tests by an ethers wallet: its secp256k1 signing key (whose
 * address goes into REPORTDATA[0..20]) signs EIP-712 typed data exactly as the C++ enclave must, and two 32-byte
 * public keys stand for its X25519 HPKE key and Ed25519 MLS signature key (the contract only hashes them).
 */
import { Wallet, concat, getBytes, hexlify, keccak256, randomBytes, sha256, type HDNodeWallet, type TypedDataDomain } from "ethers";
import type { DevelopmentIas, SignQuoteOptions, SignedReport } from "../../../src/attestation/devIas";

/** EIP-712 domain name and version of `AnonifyGroup`. */
export const ANONIFY_DOMAIN_NAME = "Anonify";
export const ANONIFY_DOMAIN_VERSION = "1";

/**
 * The six typed messages an enclave signs (must match contracts/group/AnonifyMessages.sol). A ciphertext or batch
 * carries the signer's post sequence number in its epoch (0, 1, 2, …; a batch takes a range), and a snapshot the log
 * position it becomes, so the contract accepts each signed post once (audit F-5).
 */
export const HANDSHAKE_TYPES = {
  Handshake: [
    { name: "epoch", type: "uint64" },
    { name: "handshakeHash", type: "bytes32" },
  ],
};
/** A removal commit names the revoked enclaves whose leaves it removes (audit F-6), in ascending address order. */
export const REMOVAL_COMMIT_TYPES = {
  RemovalCommit: [
    { name: "epoch", type: "uint64" },
    { name: "handshakeHash", type: "bytes32" },
    { name: "removed", type: "address[]" },
  ],
};
export const CIPHERTEXT_TYPES = {
  Ciphertext: [
    { name: "epoch", type: "uint64" },
    { name: "sequence", type: "uint64" },
    { name: "payloadHash", type: "bytes32" },
  ],
};
export const CIPHERTEXT_BATCH_TYPES = {
  CiphertextBatch: [
    { name: "epoch", type: "uint64" },
    { name: "firstSequence", type: "uint64" },
    { name: "payloadsHash", type: "bytes32" },
  ],
};
export const SNAPSHOT_TYPES = {
  Snapshot: [
    { name: "epoch", type: "uint64" },
    { name: "stateCounter", type: "uint64" },
    { name: "payloadHash", type: "bytes32" },
  ],
};
/** A checkpoint names the log hash of the entries it covers (audit F-8; see ./logHash.ts). */
export const CHECKPOINT_TYPES = {
  Checkpoint: [
    { name: "stateCounter", type: "uint64" },
    { name: "stateHash", type: "bytes32" },
    { name: "logHash", type: "bytes16" },
  ],
};

/** The EIP-712 domain of the group at `verifyingContract` on `chainId`. */
export function groupDomain(chainId: bigint, verifyingContract: string): TypedDataDomain {
  return { name: ANONIFY_DOMAIN_NAME, version: ANONIFY_DOMAIN_VERSION, chainId, verifyingContract };
}

/** keccak256(keccak256(c_0) ‖ … ‖ keccak256(c_n-1)): what a `CiphertextBatch` signature binds. */
export function payloadsHash(ciphertexts: readonly Uint8Array[]): string {
  return keccak256(concat(ciphertexts.map((c) => keccak256(c))));
}

/** Length of REPORTDATA in an SGX report body. */
export const REPORT_DATA_LENGTH = 64;

export interface AttestOptions extends SignQuoteOptions {
  mrenclave: string;
  debug?: boolean;
  /** Replaces the REPORTDATA this enclave would attest (to build mismatching reports). */
  reportData?: Uint8Array;
}

export class EnclaveKeys {
  readonly wallet: HDNodeWallet;
  readonly hpkePublicKey: string;
  readonly mlsSignatureKey: string;

  constructor(wallet: HDNodeWallet = Wallet.createRandom()) {
    this.wallet = wallet;
    this.hpkePublicKey = hexlify(randomBytes(32));
    this.mlsSignatureKey = hexlify(randomBytes(32));
  }

  get address(): string {
    return this.wallet.address;
  }

  /** SHA-256(hpkePublicKey ‖ mlsSignatureKey), REPORTDATA[20..52]. */
  keysHash(): string {
    return sha256(concat([this.hpkePublicKey, this.mlsSignatureKey]));
  }

  /** enclave address (20) ‖ keys hash (32) ‖ zero (12). */
  reportData(): Uint8Array {
    const data = new Uint8Array(REPORT_DATA_LENGTH);
    data.set(getBytes(this.address), 0);
    data.set(getBytes(this.keysHash()), 20);
    return data;
  }

  /** A development-IAS (SIMULATION) report for this enclave. */
  attest(ias: DevelopmentIas, options: AttestOptions): SignedReport {
    const { mrenclave, debug, reportData, ...reportOptions } = options;
    return ias.attest(
      { mrenclave: getBytes(mrenclave), debug: debug ?? false, reportData: reportData ?? this.reportData() },
      reportOptions,
    );
  }

  signHandshake(domain: TypedDataDomain, epoch: bigint, handshake: Uint8Array): Promise<string> {
    return this.wallet.signTypedData(domain, HANDSHAKE_TYPES, { epoch, handshakeHash: keccak256(handshake) });
  }

  /** `RemovalCommit(epoch, keccak256(handshake), removed)`: the commit removes exactly the leaves of `removed`. */
  signRemovalCommit(domain: TypedDataDomain, epoch: bigint, handshake: Uint8Array, removed: readonly string[]): Promise<string> {
    return this.wallet.signTypedData(domain, REMOVAL_COMMIT_TYPES, { epoch, handshakeHash: keccak256(handshake), removed });
  }

  /** `Ciphertext(epoch, sequence, keccak256(ciphertext))`: `sequence` is this enclave's post number in `epoch`. */
  signCiphertext(domain: TypedDataDomain, epoch: bigint, ciphertext: Uint8Array, sequence: bigint): Promise<string> {
    return this.wallet.signTypedData(domain, CIPHERTEXT_TYPES, { epoch, sequence, payloadHash: keccak256(ciphertext) });
  }

  /** `CiphertextBatch(epoch, firstSequence, payloadsHash)`: the batch takes post numbers firstSequence.. in `epoch`. */
  signCiphertextBatch(domain: TypedDataDomain, epoch: bigint, ciphertexts: readonly Uint8Array[], firstSequence: bigint): Promise<string> {
    return this.wallet.signTypedData(domain, CIPHERTEXT_BATCH_TYPES, { epoch, firstSequence, payloadsHash: payloadsHash(ciphertexts) });
  }

  /** `Snapshot(epoch, stateCounter, keccak256(snapshot))`: the snapshot becomes log entry `stateCounter` exactly. */
  signSnapshot(domain: TypedDataDomain, epoch: bigint, stateCounter: bigint, snapshot: Uint8Array): Promise<string> {
    return this.wallet.signTypedData(domain, SNAPSHOT_TYPES, { epoch, stateCounter, payloadHash: keccak256(snapshot) });
  }

  /** `Checkpoint(stateCounter, stateHash, logHash)`: `logHash` = L_stateCounter of the log the enclave applied. */
  signCheckpoint(domain: TypedDataDomain, stateCounter: bigint, stateHash: string, logHash: string): Promise<string> {
    return this.wallet.signTypedData(domain, CHECKPOINT_TYPES, { stateCounter, stateHash, logHash });
  }
}
