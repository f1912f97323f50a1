import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { anyUint } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { ethers } from "hardhat";
import { concat, getBytes, hexlify, keccak256, randomBytes, sha256, verifyTypedData, zeroPadValue } from "ethers";
import { decodeIasEvidence, encodeIasEvidence } from "../../src/attestation/evidence";
import { EnclaveKeys, HANDSHAKE_TYPES } from "./helpers/enclaveKeys";
import {
  EnclaveStatus,
  MRENCLAVE_V1,
  MRENCLAVE_V2,
  expectUnchanged,
  join,
  joinArguments,
  joinedEnclave,
  simulationGroupFixture,
} from "./helpers/fixtures";

describe("AnonifyGroup: join", function () {
  describe("with a development-IAS (SIMULATION) report", function () {
    it("admits the first enclave, whose handshake creates the group (epoch 0 -> 1)", async function () {
      const f = await loadFixture(simulationGroupFixture);
      const enclave = new EnclaveKeys();
      const handshake = randomBytes(180);
      await expect(join(f, enclave, { handshake }))
        .to.emit(f.group, "EnclaveJoined")
        .withArgs(enclave.address, MRENCLAVE_V1, 1n, enclave.hpkePublicKey, enclave.mlsSignatureKey)
        .and.to.emit(f.group, "HandshakePosted")
        .withArgs(0n, enclave.address, hexlify(handshake));

      const record = await f.group.enclave(enclave.address);
      expect(record.status).to.equal(EnclaveStatus.Active);
      expect(record.joinedAtEpoch).to.equal(1n);
      expect(record.checkpointStateCounter).to.equal(0n);
      expect(record.mrenclave).to.equal(MRENCLAVE_V1);
      expect(record.hpkePublicKey).to.equal(enclave.hpkePublicKey);
      expect(record.mlsSignatureKey).to.equal(enclave.mlsSignatureKey);
      expect(record.checkpointStateHash).to.equal(zeroPadValue("0x", 32));
      expect(await f.group.currentEpoch()).to.equal(1n);
      expect(await f.group.stateCounter()).to.equal(0n);
      expect(await f.group.activeEnclaveCount()).to.equal(1n);
    });

    it("admits later enclaves at the current epoch, each join moving the epoch on", async function () {
      const f = await loadFixture(simulationGroupFixture);
      const first = await joinedEnclave(f);
      const second = new EnclaveKeys();
      await expect(join(f, second)).to.emit(f.group, "HandshakePosted").withArgs(1n, second.address, () => true);
      expect((await f.group.enclave(second.address)).joinedAtEpoch).to.equal(2n);
      expect((await f.group.enclave(first.address)).joinedAtEpoch).to.equal(1n);
      expect(await f.group.currentEpoch()).to.equal(2n);
      expect(await f.group.activeEnclaveCount()).to.equal(2n);
    });

    it("accepts the join from any operator (the report and signature authorize the enclave)", async function () {
      const f = await loadFixture(simulationGroupFixture);
      const enclave = new EnclaveKeys();
      await expect(join(f, enclave, { from: f.admin })).to.emit(f.group, "EnclaveJoined");
    });

    it("accepts every IAS report layout the development IAS produces (v2, v3, v5, nonce)", async function () {
      const f = await loadFixture(simulationGroupFixture);
      for (const options of [{ version: 2 as const }, { version: 3 as const }, { version: 5 as const }, { nonce: "abc123" }]) {
        const enclave = new EnclaveKeys();
        await expect(join(f, enclave, options)).to.emit(f.group, "EnclaveJoined");
      }
      expect(await f.group.activeEnclaveCount()).to.equal(4n);
    });
  });

  describe("rejections (each changes nothing)", function () {
    it("REPORTDATA key hash differs from the submitted keys: ReportDataKeyHashMismatch(expected, actual)", async function () {
      const f = await loadFixture(simulationGroupFixture);
      const enclave = new EnclaveKeys();
      const otherHpke = hexlify(randomBytes(32));
      const actual = sha256(concat([otherHpke, enclave.mlsSignatureKey]));
      await expectUnchanged(f.group, [enclave.address], async () => {
        await expect(join(f, enclave, { hpkePublicKey: otherHpke }))
          .to.be.revertedWithCustomError(f.group, "ReportDataKeyHashMismatch")
          .withArgs(enclave.keysHash(), actual);
      });
      // Swapping the two keys is a mismatch too: the hash fixes their order.
      const swapped = sha256(concat([enclave.mlsSignatureKey, enclave.hpkePublicKey]));
      await expect(join(f, enclave, { hpkePublicKey: enclave.mlsSignatureKey, mlsSignatureKey: enclave.hpkePublicKey }))
        .to.be.revertedWithCustomError(f.group, "ReportDataKeyHashMismatch")
        .withArgs(enclave.keysHash(), swapped);
    });

    it("REPORTDATA[52..64] not zero: ReportDataReservedNotZero(reserved)", async function () {
      const f = await loadFixture(simulationGroupFixture);
      const enclave = new EnclaveKeys();
      const reportData = enclave.reportData();
      reportData[63] = 0x01;
      await expectUnchanged(f.group, [enclave.address], async () => {
        await expect(join(f, enclave, { reportData }))
          .to.be.revertedWithCustomError(f.group, "ReportDataReservedNotZero")
          .withArgs(hexlify(reportData.slice(52, 64)));
      });
    });

    it("handshake signed by another key than the attested address: HandshakeSignerMismatch(expected, actual)", async function () {
      const f = await loadFixture(simulationGroupFixture);
      const enclave = new EnclaveKeys();
      const impostor = new EnclaveKeys();
      await expectUnchanged(f.group, [enclave.address, impostor.address], async () => {
        await expect(join(f, enclave, { handshakeSigner: impostor }))
          .to.be.revertedWithCustomError(f.group, "HandshakeSignerMismatch")
          .withArgs(enclave.address, impostor.address);
      });
    });

    it("REPORTDATA naming another address than the handshake signer: HandshakeSignerMismatch", async function () {
      const f = await loadFixture(simulationGroupFixture);
      const enclave = new EnclaveKeys();
      const victim = new EnclaveKeys();
      // A report attesting `victim`'s address with `enclave`'s keys hash, handshake signed by `enclave`.
      const reportData = enclave.reportData();
      reportData.set(getBytes(victim.address), 0);
      await expectUnchanged(f.group, [enclave.address, victim.address], async () => {
        await expect(join(f, enclave, { reportData }))
          .to.be.revertedWithCustomError(f.group, "HandshakeSignerMismatch")
          .withArgs(victim.address, enclave.address);
      });
    });

    it("join handshake signed for another epoch recovers another address: HandshakeSignerMismatch", async function () {
      const f = await loadFixture(simulationGroupFixture);
      const enclave = new EnclaveKeys();
      const handshake = randomBytes(64);
      const args = await joinArguments(f, enclave, { handshake, handshakeEpoch: 7n });
      const recovered = verifyTypedData(f.domain, HANDSHAKE_TYPES, { epoch: 0n, handshakeHash: keccak256(handshake) }, args[4]);
      expect(recovered).to.not.equal(enclave.address);
      await expectUnchanged(f.group, [enclave.address], async () => {
        await expect(f.group.connect(f.relayer).join(...args))
          .to.be.revertedWithCustomError(f.group, "HandshakeSignerMismatch")
          .withArgs(enclave.address, recovered);
      });
    });

    it("MRENCLAVE not on the verifier's allowlist: MrenclaveNotAllowed (verifier)", async function () {
      const f = await loadFixture(simulationGroupFixture);
      const enclave = new EnclaveKeys();
      await expectUnchanged(f.group, [enclave.address], async () => {
        await expect(join(f, enclave, { mrenclave: MRENCLAVE_V2 }))
          .to.be.revertedWithCustomError(f.verifier, "MrenclaveNotAllowed")
          .withArgs(MRENCLAVE_V2);
      });
    });

    it("MRENCLAVE not allowlisted while the verifier's own check is off: MrenclaveNotAllowed (group)", async function () {
      const f = await loadFixture(simulationGroupFixture);
      await f.verifier.connect(f.admin).setMrenclaveCheck(false);
      const enclave = new EnclaveKeys();
      await expectUnchanged(f.group, [enclave.address], async () => {
        await expect(join(f, enclave, { mrenclave: MRENCLAVE_V2 }))
          .to.be.revertedWithCustomError(f.group, "MrenclaveNotAllowed")
          .withArgs(MRENCLAVE_V2);
      });
    });

    it("DEBUG enclave: DebugEnclaveNotAllowed (verifier)", async function () {
      const f = await loadFixture(simulationGroupFixture);
      const enclave = new EnclaveKeys();
      await expectUnchanged(f.group, [enclave.address], async () => {
        await expect(join(f, enclave, { debug: true }))
          .to.be.revertedWithCustomError(f.verifier, "DebugEnclaveNotAllowed")
          .withArgs(MRENCLAVE_V1);
      });
    });

    it("quote status not allowed: QuoteStatusNotAllowed (verifier)", async function () {
      const f = await loadFixture(simulationGroupFixture);
      const enclave = new EnclaveKeys();
      await expectUnchanged(f.group, [enclave.address], async () => {
        await expect(join(f, enclave, { status: "GROUP_OUT_OF_DATE" }))
          .to.be.revertedWithCustomError(f.verifier, "QuoteStatusNotAllowed")
          .withArgs("GROUP_OUT_OF_DATE");
      });
    });

    it("report older than the verifier's maximum age: ReportTooOld (verifier)", async function () {
      const f = await loadFixture(simulationGroupFixture);
      const maxAge = 3600n;
      await f.verifier.connect(f.admin).setMaxReportAge(maxAge);
      const latest = await ethers.provider.getBlock("latest");
      const issued = BigInt(latest!.timestamp) - 2n * maxAge;
      const enclave = new EnclaveKeys();
      await expectUnchanged(f.group, [enclave.address], async () => {
        await expect(join(f, enclave, { timestamp: new Date(Number(issued) * 1000) }))
          .to.be.revertedWithCustomError(f.verifier, "ReportTooOld")
          .withArgs(issued, maxAge, anyUint);
      });
      // A fresh report of the same enclave is fine.
      await expect(join(f, enclave)).to.emit(f.group, "EnclaveJoined");
    });

    it("tampered report: ReportSignatureInvalid (verifier); unknown key: SigningKeyNotRegistered", async function () {
      const f = await loadFixture(simulationGroupFixture);
      const enclave = new EnclaveKeys();
      const args = [...(await joinArguments(f, enclave))] as Parameters<typeof f.group.join>;
      const evidence = decodeIasEvidence(args[0] as string);
      const report = Uint8Array.from(evidence.report);
      report[report.length - 2] ^= 0x01;
      await expectUnchanged(f.group, [enclave.address], async () => {
        const tampered = [...args] as typeof args;
        tampered[0] = encodeIasEvidence({ ...evidence, report });
        await expect(f.group.join(...tampered)).to.be.revertedWithCustomError(f.verifier, "ReportSignatureInvalid");
        const unknownKey = [...args] as typeof args;
        unknownKey[0] = encodeIasEvidence({ ...evidence, keyId: keccak256("0x01") });
        await expect(f.group.join(...unknownKey))
          .to.be.revertedWithCustomError(f.verifier, "SigningKeyNotRegistered")
          .withArgs(keccak256("0x01"));
        // Evidence shorter than keyId and signature never reaches the report.
        const short = [...args] as typeof args;
        short[0] = getBytes(args[0] as string).slice(0, 287);
        await expect(f.group.join(...short)).to.be.revertedWithCustomError(f.verifier, "EvidenceTooShort").withArgs(287n, 288n);
        short[0] = "0x";
        await expect(f.group.join(...short)).to.be.revertedWithCustomError(f.verifier, "EvidenceTooShort").withArgs(0n, 288n);
      });
    });

    it("empty handshake: HandshakeEmpty", async function () {
      const f = await loadFixture(simulationGroupFixture);
      const enclave = new EnclaveKeys();
      await expectUnchanged(f.group, [enclave.address], async () => {
        await expect(join(f, enclave, { handshake: new Uint8Array() })).to.be.revertedWithCustomError(f.group, "HandshakeEmpty");
      });
    });

    it("malformed handshake signatures: OpenZeppelin ECDSA errors (length, high s)", async function () {
      const f = await loadFixture(simulationGroupFixture);
      const enclave = new EnclaveKeys();
      const args = [...(await joinArguments(f, enclave))] as Parameters<typeof f.group.join>;
      const signature = getBytes(args[4] as string);
      await expectUnchanged(f.group, [enclave.address], async () => {
        const short = [...args] as typeof args;
        short[4] = hexlify(signature.slice(0, 64));
        await expect(f.group.join(...short)).to.be.revertedWithCustomError(f.group, "ECDSAInvalidSignatureLength").withArgs(64n);
        // The malleable twin (n - s, flipped v) of a valid signature is refused.
        const n = BigInt("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
        const s = BigInt(hexlify(signature.slice(32, 64)));
        const highS = zeroPadValue("0x" + (n - s).toString(16), 32);
        const malleable = [...args] as typeof args;
        malleable[4] = concat([signature.slice(0, 32), highS, Uint8Array.of(signature[64] === 27 ? 28 : 27)]);
        await expect(f.group.join(...malleable)).to.be.revertedWithCustomError(f.group, "ECDSAInvalidSignatureS").withArgs(highS);
      });
    });

    it("an active address joining again: EnclaveAlreadyRegistered(enclave)", async function () {
      const f = await loadFixture(simulationGroupFixture);
      const enclave = await joinedEnclave(f);
      await expectUnchanged(f.group, [enclave.address], async () => {
        await expect(join(f, enclave)).to.be.revertedWithCustomError(f.group, "EnclaveAlreadyRegistered").withArgs(enclave.address);
      });
    });

    it("a revoked address can never rejoin: EnclaveWasRevoked(enclave)", async function () {
      const f = await loadFixture(simulationGroupFixture);
      const enclave = await joinedEnclave(f);
      await f.group.connect(f.governor).revokeEnclave(enclave.address);
      await expectUnchanged(f.group, [enclave.address], async () => {
        await expect(join(f, enclave)).to.be.revertedWithCustomError(f.group, "EnclaveWasRevoked").withArgs(enclave.address);
      });
    });
  });
});
