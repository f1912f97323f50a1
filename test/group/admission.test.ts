/**
 * Controlled admission (audit F-2): only OPERATOR_ROLE holders submit joins, each up to its cap of active enclaves,
 * unless the admin opens admission, which then takes at most `maxJoinsPerBlock` non-operator joins per block.
 */
import { expect } from "chai";
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import { ethers } from "hardhat";
import { id, randomBytes, type Signer } from "ethers";
import { EnclaveKeys } from "./helpers/enclaveKeys";
import {
  EnclaveStatus,
  MRENCLAVE_V1,
  MRENCLAVE_V2,
  admissionGroupFixture,
  expectUnchanged,
  join,
  joinArguments,
  joinedEnclave,
  type GroupFixture,
} from "./helpers/fixtures";
import { TOKEN_RUNTIME } from "../../src/runtimes/name";

const OPERATOR_ROLE = id("OPERATOR_ROLE");
const DEFAULT_ADMIN_ROLE = ethers.ZeroHash;
const GOVERNOR_ROLE = id("GOVERNOR_ROLE");

/** The deployment defaults plus the relayer as a second operator (cap 1). */
async function twoOperators() {
  const f = await admissionGroupFixture();
  await (await f.group.connect(f.admin).grantRole(OPERATOR_ROLE, await f.relayer.getAddress())).wait();
  return f;
}

async function addressOf(signer: Signer) {
  return signer.getAddress();
}

describe("AnonifyGroup: admission (audit F-2)", function () {
  describe("operators", function () {
    it("OPERATOR_ROLE is keccak256(\"OPERATOR_ROLE\"); the module makes the deployer the only operator, cap 1, admission closed", async function () {
      const f = await loadFixture(admissionGroupFixture);
      expect(await f.group.OPERATOR_ROLE()).to.equal(OPERATOR_ROLE);
      expect(await f.group.DEFAULT_OPERATOR_CAP()).to.equal(1n);
      expect(await f.group.hasRole(OPERATOR_ROLE, await addressOf(f.admin))).to.equal(true);
      expect(await f.group.hasRole(OPERATOR_ROLE, await addressOf(f.relayer))).to.equal(false);
      expect(await f.group.operatorInfo(await addressOf(f.admin))).to.deep.equal([true, 0n, 1n]);
      expect(await f.group.operatorInfo(await addressOf(f.outsider))).to.deep.equal([false, 0n, 1n]);
      expect(await f.group.openAdmission()).to.deep.equal([false, 0n]);
    });

    it("a non-operator's join is refused: NotAnOperator(sender), nothing changes", async function () {
      const f = await loadFixture(admissionGroupFixture);
      const enclave = new EnclaveKeys();
      const outsider = await addressOf(f.outsider);
      await expectUnchanged(f.group, [enclave.address], async () => {
        await expect(join(f, enclave, { from: f.outsider })).to.be.revertedWithCustomError(f.group, "NotAnOperator").withArgs(outsider);
      });
      expect(await f.group.operatorInfo(outsider)).to.deep.equal([false, 0n, 1n]);
    });

    it("an operator's join records the operator: EnclaveAdmitted(enclave, operator, false), enclaveOperator, operatorInfo", async function () {
      const f = await loadFixture(admissionGroupFixture);
      const enclave = new EnclaveKeys();
      const admin = await addressOf(f.admin);
      await expect(join(f, enclave, { from: f.admin }))
        .to.emit(f.group, "EnclaveAdmitted")
        .withArgs(enclave.address, admin, false)
        .and.to.emit(f.group, "EnclaveJoined");
      expect(await f.group.enclaveOperator(enclave.address)).to.equal(admin);
      expect(await f.group.operatorInfo(admin)).to.deep.equal([true, 1n, 1n]);
      expect(await f.group.enclaveOperator(new EnclaveKeys().address)).to.equal(ethers.ZeroAddress);
    });

    it("the admin grants and revokes OPERATOR_ROLE (RoleGranted/RoleRevoked, only on a real change); nobody else can", async function () {
      const f = await loadFixture(admissionGroupFixture);
      const relayer = await addressOf(f.relayer);
      for (const who of [f.governor, f.outsider]) {
        await expect(f.group.connect(who).grantRole(OPERATOR_ROLE, relayer))
          .to.be.revertedWithCustomError(f.group, "AccessControlUnauthorizedAccount")
          .withArgs(await addressOf(who), DEFAULT_ADMIN_ROLE);
      }
      await expect(f.group.connect(f.admin).grantRole(OPERATOR_ROLE, relayer))
        .to.emit(f.group, "RoleGranted")
        .withArgs(OPERATOR_ROLE, relayer, await addressOf(f.admin));
      await expect(f.group.connect(f.admin).grantRole(OPERATOR_ROLE, relayer)).not.to.emit(f.group, "RoleGranted");
      expect((await f.group.operatorInfo(relayer))[0]).to.equal(true);

      const enclave = await joinedEnclave(f, { from: f.relayer });
      await expect(f.group.connect(f.admin).revokeRole(OPERATOR_ROLE, relayer))
        .to.emit(f.group, "RoleRevoked")
        .withArgs(OPERATOR_ROLE, relayer, await addressOf(f.admin));
      await expect(f.group.connect(f.admin).revokeRole(OPERATOR_ROLE, relayer)).not.to.emit(f.group, "RoleRevoked");
      // The role gates new joins only: the enclave it joined stays a member and keeps counting.
      expect((await f.group.enclave(enclave.address)).status).to.equal(EnclaveStatus.Active);
      expect(await f.group.operatorInfo(relayer)).to.deep.equal([false, 1n, 1n]);
      await expect(join(f, new EnclaveKeys(), { from: f.relayer })).to.be.revertedWithCustomError(f.group, "NotAnOperator").withArgs(relayer);
    });

    it("an operator that renounces the role can no longer join", async function () {
      const f = await loadFixture(twoOperators);
      const relayer = await addressOf(f.relayer);
      await expect(f.group.connect(f.relayer).renounceRole(OPERATOR_ROLE, relayer)).to.emit(f.group, "RoleRevoked");
      await expect(join(f, new EnclaveKeys(), { from: f.relayer })).to.be.revertedWithCustomError(f.group, "NotAnOperator").withArgs(relayer);
    });

    it("the constructor refuses the zero address as an operator: OperatorZero", async function () {
      const f = await loadFixture(admissionGroupFixture);
      const factory = await ethers.getContractFactory("AnonifyGroup");
      await expect(factory.deploy(await f.verifier.getAddress(), await addressOf(f.admin), 0, ethers.ZeroAddress, [ethers.ZeroAddress], 0, TOKEN_RUNTIME))
        .to.be.revertedWithCustomError(factory, "OperatorZero");
      await expect(factory.deploy(await f.verifier.getAddress(), await addressOf(f.admin), 0, ethers.ZeroAddress, [], 17, TOKEN_RUNTIME))
        .to.be.revertedWithCustomError(factory, "InvalidOpenAdmission")
        .withArgs(true, 17n, 16n);
    });
  });

  describe("per-operator cap", function () {
    it("an operator's second active enclave is refused: OperatorCapReached(operator, 1), nothing changes", async function () {
      const f = await loadFixture(admissionGroupFixture);
      const admin = await addressOf(f.admin);
      const first = await joinedEnclave(f, { from: f.admin });
      const second = new EnclaveKeys();
      await expectUnchanged(f.group, [first.address, second.address], async () => {
        await expect(join(f, second, { from: f.admin })).to.be.revertedWithCustomError(f.group, "OperatorCapReached").withArgs(admin, 1n);
      });
      expect(await f.group.operatorInfo(admin)).to.deep.equal([true, 1n, 1n]);
    });

    it("a revocation frees the operator's place", async function () {
      const f = await loadFixture(admissionGroupFixture);
      const admin = await addressOf(f.admin);
      const first = await joinedEnclave(f, { from: f.admin });
      await (await f.group.connect(f.governor).revokeEnclave(first.address)).wait();
      expect(await f.group.operatorInfo(admin)).to.deep.equal([true, 0n, 1n]);
      await joinedEnclave(f, { from: f.admin });
      expect(await f.group.operatorInfo(admin)).to.deep.equal([true, 1n, 1n]);
    });

    it("an eviction (MRENCLAVE disallowed) frees the operator's place", async function () {
      const f = await loadFixture(admissionGroupFixture);
      const admin = await addressOf(f.admin);
      const first = await joinedEnclave(f, { from: f.admin });
      await (await f.verifier.connect(f.admin).setMrenclaveAllowed(MRENCLAVE_V2, true)).wait();
      await (await f.verifier.connect(f.admin).setMrenclaveAllowed(MRENCLAVE_V1, false)).wait();
      await expect(join(f, new EnclaveKeys(), { from: f.admin, mrenclave: MRENCLAVE_V2 })).to.be.revertedWithCustomError(f.group, "OperatorCapReached");
      await (await f.group.connect(f.governor).evictEnclave(first.address)).wait();
      expect(await f.group.operatorInfo(admin)).to.deep.equal([true, 0n, 1n]);
      await joinedEnclave(f, { from: f.admin, mrenclave: MRENCLAVE_V2 });
    });

    it("setOperatorCap: GOVERNOR_ROLE only, OperatorCapSet only on a real change, bad caps and the zero address refused", async function () {
      const f = await loadFixture(admissionGroupFixture);
      const admin = await addressOf(f.admin);
      for (const who of [f.admin, f.outsider]) {
        await expect(f.group.connect(who).setOperatorCap(admin, 2))
          .to.be.revertedWithCustomError(f.group, "AccessControlUnauthorizedAccount")
          .withArgs(await addressOf(who), GOVERNOR_ROLE);
      }
      const max = await f.group.MAX_OPERATOR_CAP();
      for (const bad of [0n, max + 1n]) {
        await expect(f.group.connect(f.governor).setOperatorCap(admin, bad))
          .to.be.revertedWithCustomError(f.group, "InvalidOperatorCap")
          .withArgs(bad, max);
      }
      await expect(f.group.connect(f.governor).setOperatorCap(ethers.ZeroAddress, 2)).to.be.revertedWithCustomError(f.group, "OperatorZero");
      await expect(f.group.connect(f.governor).setOperatorCap(admin, 1)).not.to.emit(f.group, "OperatorCapSet");
      await expect(f.group.connect(f.governor).setOperatorCap(admin, 2)).to.emit(f.group, "OperatorCapSet").withArgs(admin, 1n, 2n);
      await expect(f.group.connect(f.governor).setOperatorCap(admin, 2)).not.to.emit(f.group, "OperatorCapSet");
      expect(await f.group.operatorInfo(admin)).to.deep.equal([true, 0n, 2n]);

      await joinedEnclave(f, { from: f.admin });
      await joinedEnclave(f, { from: f.admin });
      await expect(join(f, new EnclaveKeys(), { from: f.admin })).to.be.revertedWithCustomError(f.group, "OperatorCapReached").withArgs(admin, 2n);
      // Lowering the cap below the count removes nobody; it only refuses further joins.
      await expect(f.group.connect(f.governor).setOperatorCap(admin, 1)).to.emit(f.group, "OperatorCapSet").withArgs(admin, 2n, 1n);
      expect(await f.group.activeEnclaveCount()).to.equal(2n);
      expect(await f.group.operatorInfo(admin)).to.deep.equal([true, 2n, 1n]);
      await expect(join(f, new EnclaveKeys(), { from: f.admin })).to.be.revertedWithCustomError(f.group, "OperatorCapReached").withArgs(admin, 1n);
    });

    it("caps count per operator: one operator at its cap does not block another", async function () {
      const f = await loadFixture(twoOperators);
      await joinedEnclave(f, { from: f.admin });
      await expect(join(f, new EnclaveKeys(), { from: f.admin })).to.be.revertedWithCustomError(f.group, "OperatorCapReached");
      await joinedEnclave(f, { from: f.relayer });
      expect(await f.group.activeEnclaveCount()).to.equal(2n);
    });

    it("reinstateEnclave counts against the cap of the enclave's operator: refused at the cap until the governor raises it", async function () {
      const f = await loadFixture(admissionGroupFixture);
      const admin = await addressOf(f.admin);
      const first = await joinedEnclave(f, { from: f.admin });
      await (await f.group.connect(f.governor).revokeEnclave(first.address)).wait();
      await joinedEnclave(f, { from: f.admin });
      await expectUnchanged(f.group, [first.address], async () => {
        await expect(f.group.connect(f.governor).reinstateEnclave(first.address))
          .to.be.revertedWithCustomError(f.group, "OperatorCapReached")
          .withArgs(admin, 1n);
      });
      await (await f.group.connect(f.governor).setOperatorCap(admin, 2)).wait();
      await expect(f.group.connect(f.governor).reinstateEnclave(first.address)).to.emit(f.group, "EnclaveReinstated");
      expect(await f.group.operatorInfo(admin)).to.deep.equal([true, 2n, 2n]);
      expect(await f.group.activeEnclaveCount()).to.equal(2n);
    });
  });

  describe("open mode", function () {
    it("setOpenAdmission: DEFAULT_ADMIN_ROLE only, OpenAdmissionSet only on a real change, bad limits refused", async function () {
      const f = await loadFixture(admissionGroupFixture);
      for (const who of [f.governor, f.outsider]) {
        await expect(f.group.connect(who).setOpenAdmission(true, 2))
          .to.be.revertedWithCustomError(f.group, "AccessControlUnauthorizedAccount")
          .withArgs(await addressOf(who), DEFAULT_ADMIN_ROLE);
      }
      const max = await f.group.MAX_OPEN_JOINS_PER_BLOCK();
      for (const [open, limit] of [[true, 0n], [true, max + 1n], [false, 1n]] as const) {
        await expect(f.group.connect(f.admin).setOpenAdmission(open, limit))
          .to.be.revertedWithCustomError(f.group, "InvalidOpenAdmission")
          .withArgs(open, limit, max);
      }
      await expect(f.group.connect(f.admin).setOpenAdmission(false, 0)).not.to.emit(f.group, "OpenAdmissionSet");
      await expect(f.group.connect(f.admin).setOpenAdmission(true, 2)).to.emit(f.group, "OpenAdmissionSet").withArgs(true, 2n);
      await expect(f.group.connect(f.admin).setOpenAdmission(true, 2)).not.to.emit(f.group, "OpenAdmissionSet");
      await expect(f.group.connect(f.admin).setOpenAdmission(true, 3)).to.emit(f.group, "OpenAdmissionSet").withArgs(true, 3n);
      expect(await f.group.openAdmission()).to.deep.equal([true, 3n]);
      await expect(f.group.connect(f.admin).setOpenAdmission(false, 0)).to.emit(f.group, "OpenAdmissionSet").withArgs(false, 0n);
      expect(await f.group.openAdmission()).to.deep.equal([false, 0n]);
    });

    it("open: any account joins (EnclaveAdmitted viaOpenAdmission), capped per account; closed again: refused", async function () {
      const f = await loadFixture(admissionGroupFixture);
      const outsider = await addressOf(f.outsider);
      await (await f.group.connect(f.admin).setOpenAdmission(true, 2)).wait();
      const enclave = new EnclaveKeys();
      await expect(join(f, enclave, { from: f.outsider })).to.emit(f.group, "EnclaveAdmitted").withArgs(enclave.address, outsider, true);
      expect(await f.group.enclaveOperator(enclave.address)).to.equal(outsider);
      expect(await f.group.operatorInfo(outsider)).to.deep.equal([false, 1n, 1n]);
      await expect(join(f, new EnclaveKeys(), { from: f.outsider })).to.be.revertedWithCustomError(f.group, "OperatorCapReached").withArgs(outsider, 1n);
      // Its place is freed by a revocation like an operator's.
      await (await f.group.connect(f.governor).revokeEnclave(enclave.address)).wait();
      expect(await f.group.operatorInfo(outsider)).to.deep.equal([false, 0n, 1n]);

      await (await f.group.connect(f.admin).setOpenAdmission(false, 0)).wait();
      await expect(join(f, new EnclaveKeys(), { from: f.outsider })).to.be.revertedWithCustomError(f.group, "NotAnOperator").withArgs(outsider);
    });

    it("at most maxJoinsPerBlock non-operator joins land in one block (JoinRateLimited); operators are not counted; the next block takes joins again", async function () {
      const f = await loadFixture(admissionGroupFixture);
      await (await f.group.connect(f.admin).setOpenAdmission(true, 2)).wait();
      const signers = await ethers.getSigners();
      const joiners = signers.slice(5, 9);
      const enclaves = joiners.map(() => new EnclaveKeys());
      const operatorEnclave = new EnclaveKeys();
      const epoch = await f.group.currentEpoch();
      // Each handshake names the epoch it will meet: the joins land one after another in one block.
      const args = await Promise.all(enclaves.map((e, i) => joinArguments(f, e, { handshakeEpoch: epoch + BigInt(i) })));
      const operatorArgs = await joinArguments(f, operatorEnclave, { handshakeEpoch: epoch + 2n });
      const overflowArgs = await joinArguments(f, enclaves[3], { handshakeEpoch: epoch + 3n });

      await ethers.provider.send("evm_setAutomine", [false]);
      const sent = [];
      let pendingBlock;
      try {
        sent.push(await f.group.connect(joiners[0]).join(...args[0], { gasLimit: 1_000_000 }));
        sent.push(await f.group.connect(joiners[1]).join(...args[1], { gasLimit: 1_000_000 }));
        // The third non-operator join in this block would exceed the limit of 2 ...
        pendingBlock = BigInt(await ethers.provider.getBlockNumber()) + 1n;
        await expect(f.group.connect(joiners[2]).join.staticCall(...args[2], { blockTag: "pending" }))
          .to.be.revertedWithCustomError(f.group, "JoinRateLimited")
          .withArgs(pendingBlock, 2n);
        sent.push(await f.group.connect(joiners[2]).join(...args[2], { gasLimit: 1_000_000 }));
        // ... while an operator still joins (its handshake names the epoch after the two admitted joins).
        sent.push(await f.group.connect(f.admin).join(...operatorArgs, { gasLimit: 1_000_000 }));
        await mine(1);
      } finally {
        await ethers.provider.send("evm_setAutomine", [true]);
      }
      const receipts = await Promise.all(sent.map((tx) => ethers.provider.getTransactionReceipt(tx.hash)));
      expect(receipts.map((r) => r?.blockNumber)).to.deep.equal([pendingBlock, pendingBlock, pendingBlock, pendingBlock].map(Number));
      expect(receipts.map((r) => r?.status)).to.deep.equal([1, 1, 0, 1]);
      expect((await f.group.enclave(enclaves[2].address)).status).to.equal(EnclaveStatus.None);
      expect((await f.group.enclave(operatorEnclave.address)).status).to.equal(EnclaveStatus.Active);
      expect(await f.group.activeEnclaveCount()).to.equal(3n);

      // A new block: non-operators join again.
      await expect(f.group.connect(joiners[3]).join(...overflowArgs)).to.emit(f.group, "EnclaveAdmitted").withArgs(enclaves[3].address, await addressOf(joiners[3]), true);
    });
  });

  describe("audit F-2 regression: a host cannot storm the group with fresh enclaves", function () {
    async function memberAlice(): Promise<GroupFixture & { alice: EnclaveKeys }> {
      const f = await admissionGroupFixture();
      const alice = await joinedEnclave(f, { from: f.admin });
      return { ...f, alice };
    }

    it("fresh enclaves from a non-operator and from an operator at its cap are refused; Alice's signed post stays valid", async function () {
      const f = await loadFixture(memberAlice);
      for (let round = 0; round < 5; round++) {
        const epoch = await f.group.currentEpoch();
        const ciphertext = randomBytes(48);
        // Nothing moves the epoch, so Alice's posts are numbers 0, 1, 2, … of it.
        const sequence = BigInt(round);
        const signature = await f.alice.signCiphertext(f.domain, epoch, ciphertext, sequence);
        // The PoC's attacker: a fresh enclave identity (new key, valid report) per round.
        await expect(join(f, new EnclaveKeys(), { from: f.outsider })).to.be.revertedWithCustomError(f.group, "NotAnOperator");
        await expect(join(f, new EnclaveKeys(), { from: f.admin })).to.be.revertedWithCustomError(f.group, "OperatorCapReached");
        await expect(f.group.connect(f.relayer).postCiphertext(epoch, sequence, ciphertext, signature)).to.emit(f.group, "CiphertextPosted");
      }
      expect(await f.group.currentEpoch()).to.equal(1n);
      expect(await f.group.activeEnclaveCount()).to.equal(1n);
      expect(await f.group.stateCounter()).to.equal(5n);
    });
  });
});
