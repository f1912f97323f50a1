import { expect } from "chai";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { artifacts, ethers } from "hardhat";
import { id, randomBytes } from "ethers";
import { EnclaveKeys } from "./helpers/enclaveKeys";
import {
  EnclaveStatus,
  MRENCLAVE_V1,
  MRENCLAVE_V2,
  RevocationReason,
  TEST_ADMIN_DELAY,
  expectUnchanged,
  join,
  joinedEnclave,
  simulationGroupFixture,
} from "./helpers/fixtures";
import { TOKEN_RUNTIME } from "../../src/runtimes/name";

async function oneMember() {
  const f = await loadFixture(simulationGroupFixture);
  const alice = await joinedEnclave(f);
  return { ...f, alice };
}

async function twoMembers() {
  const f = await loadFixture(simulationGroupFixture);
  const alice = await joinedEnclave(f);
  const bob = await joinedEnclave(f);
  return { ...f, alice, bob };
}

describe("AnonifyGroup: governance", function () {
  describe("roles", function () {
    it("GOVERNOR_ROLE is keccak256(\"GOVERNOR_ROLE\"), held by the configured governor; the admin is the deployer", async function () {
      const f = await loadFixture(simulationGroupFixture);
      expect(await f.group.GOVERNOR_ROLE()).to.equal(id("GOVERNOR_ROLE"));
      expect(await f.group.hasRole(id("GOVERNOR_ROLE"), await f.governor.getAddress())).to.equal(true);
      expect(await f.group.hasRole(id("GOVERNOR_ROLE"), await f.admin.getAddress())).to.equal(false);
      expect(await f.group.owner()).to.equal(await f.admin.getAddress());
      expect(await f.group.defaultAdminDelay()).to.equal(TEST_ADMIN_DELAY);
      expect(await f.group.verifier()).to.equal(await f.verifier.getAddress());
    });

    it("only GOVERNOR_ROLE revokes: AccessControlUnauthorizedAccount(account, role)", async function () {
      const f = await loadFixture(oneMember);
      for (const caller of [f.outsider, f.admin]) {
        await expectUnchanged(f.group, [f.alice.address], async () => {
          await expect(f.group.connect(caller).revokeEnclave(f.alice.address))
            .to.be.revertedWithCustomError(f.group, "AccessControlUnauthorizedAccount")
            .withArgs(await caller.getAddress(), id("GOVERNOR_ROLE"));
        });
      }
    });

    it("the admin grants and takes back GOVERNOR_ROLE; a non-admin cannot grant it", async function () {
      const f = await loadFixture(oneMember);
      const outsider = await f.outsider.getAddress();
      await expect(f.group.connect(f.governor).grantRole(id("GOVERNOR_ROLE"), outsider))
        .to.be.revertedWithCustomError(f.group, "AccessControlUnauthorizedAccount")
        .withArgs(await f.governor.getAddress(), ethers.ZeroHash);
      await expect(f.group.connect(f.admin).grantRole(id("GOVERNOR_ROLE"), outsider))
        .to.emit(f.group, "RoleGranted")
        .withArgs(id("GOVERNOR_ROLE"), outsider, await f.admin.getAddress());
      await f.group.connect(f.admin).revokeRole(id("GOVERNOR_ROLE"), outsider);
      await expectUnchanged(f.group, [f.alice.address], async () => {
        await expect(f.group.connect(f.outsider).revokeEnclave(f.alice.address))
          .to.be.revertedWithCustomError(f.group, "AccessControlUnauthorizedAccount")
          .withArgs(outsider, id("GOVERNOR_ROLE"));
      });
    });

    it("the admin role moves only in two steps, after the delay", async function () {
      const f = await loadFixture(simulationGroupFixture);
      const newAdmin = await f.outsider.getAddress();
      await expect(f.group.connect(f.admin).grantRole(ethers.ZeroHash, newAdmin)).to.be.revertedWithCustomError(
        f.group,
        "AccessControlEnforcedDefaultAdminRules",
      );
      await f.group.connect(f.admin).beginDefaultAdminTransfer(newAdmin);
      const [pending, schedule] = await f.group.pendingDefaultAdmin();
      expect(pending).to.equal(newAdmin);
      await expect(f.group.connect(f.outsider).acceptDefaultAdminTransfer())
        .to.be.revertedWithCustomError(f.group, "AccessControlEnforcedDefaultAdminDelay")
        .withArgs(schedule);
      await expect(f.group.connect(f.governor).acceptDefaultAdminTransfer())
        .to.be.revertedWithCustomError(f.group, "AccessControlInvalidDefaultAdmin")
        .withArgs(await f.governor.getAddress());
      await time.increaseTo(schedule + 1n);
      await f.group.connect(f.outsider).acceptDefaultAdminTransfer();
      expect(await f.group.owner()).to.equal(newAdmin);
      expect(await f.group.hasRole(ethers.ZeroHash, await f.admin.getAddress())).to.equal(false);
    });
  });

  describe("revocation", function () {
    it("revokeEnclave: status Revoked (record kept), active count down, EnclaveRevoked event", async function () {
      const f = await loadFixture(oneMember);
      await expect(f.group.connect(f.governor).revokeEnclave(f.alice.address))
        .to.emit(f.group, "EnclaveRevoked")
        .withArgs(f.alice.address, MRENCLAVE_V1, RevocationReason.Governance, await f.governor.getAddress());
      const record = await f.group.enclave(f.alice.address);
      expect(record.status).to.equal(EnclaveStatus.Revoked);
      expect(record.mrenclave).to.equal(MRENCLAVE_V1);
      expect(record.hpkePublicKey).to.equal(f.alice.hpkePublicKey);
      expect(await f.group.activeEnclaveCount()).to.equal(0n);
      // The logs keep their positions.
      expect(await f.group.currentEpoch()).to.equal(1n);
    });

    it("revoking an unknown or an already revoked address is refused", async function () {
      const f = await loadFixture(oneMember);
      const stranger = new EnclaveKeys();
      await expectUnchanged(f.group, [stranger.address], async () => {
        await expect(f.group.connect(f.governor).revokeEnclave(stranger.address))
          .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
          .withArgs(stranger.address);
      });
      await f.group.connect(f.governor).revokeEnclave(f.alice.address);
      await expectUnchanged(f.group, [f.alice.address], async () => {
        await expect(f.group.connect(f.governor).revokeEnclave(f.alice.address))
          .to.be.revertedWithCustomError(f.group, "EnclaveWasRevoked")
          .withArgs(f.alice.address);
      });
    });

    it("evictEnclave: refused while the MRENCLAVE is allowed; after a disallow, the governor at once, anyone else after the grace period", async function () {
      const f = await loadFixture(twoMembers);
      const grace = await f.group.evictionGracePeriod();
      expect(grace).to.equal(await f.group.DEFAULT_EVICTION_GRACE_PERIOD());
      expect(grace).to.equal(86_400n);
      await expectUnchanged(f.group, [f.alice.address], async () => {
        await expect(f.group.connect(f.outsider).evictEnclave(f.alice.address))
          .to.be.revertedWithCustomError(f.group, "MrenclaveStillAllowed")
          .withArgs(MRENCLAVE_V1);
      });
      await f.verifier.connect(f.admin).setMrenclaveAllowed(MRENCLAVE_V1, false);
      const disallowedAt = await f.verifier.mrenclaveDisallowedAt(MRENCLAVE_V1);
      expect(disallowedAt).to.equal(BigInt(await time.latest()));

      // Anyone but the governor waits for the grace period.
      await expectUnchanged(f.group, [f.alice.address, f.bob.address], async () => {
        await expect(f.group.connect(f.outsider).evictEnclave(f.alice.address))
          .to.be.revertedWithCustomError(f.group, "EvictionGracePeriodRunning")
          .withArgs(MRENCLAVE_V1, disallowedAt, disallowedAt + grace);
      });
      // The governor evicts at once.
      await expect(f.group.connect(f.governor).evictEnclave(f.alice.address))
        .to.emit(f.group, "EnclaveRevoked")
        .withArgs(f.alice.address, MRENCLAVE_V1, RevocationReason.MrenclaveDisallowed, await f.governor.getAddress());
      // One second before the end of the grace period: still refused; at its end: open to anyone.
      await time.setNextBlockTimestamp(disallowedAt + grace - 1n);
      await expect(f.group.connect(f.outsider).evictEnclave(f.bob.address)).to.be.revertedWithCustomError(f.group, "EvictionGracePeriodRunning");
      await time.setNextBlockTimestamp(disallowedAt + grace);
      await expect(f.group.connect(f.outsider).evictEnclave(f.bob.address))
        .to.emit(f.group, "EnclaveRevoked")
        .withArgs(f.bob.address, MRENCLAVE_V1, RevocationReason.MrenclaveDisallowed, await f.outsider.getAddress());
      expect((await f.group.enclave(f.bob.address)).status).to.equal(EnclaveStatus.Revoked);
      await expect(f.group.evictEnclave(f.alice.address)).to.be.revertedWithCustomError(f.group, "EnclaveWasRevoked").withArgs(f.alice.address);
      const stranger = new EnclaveKeys();
      await expect(f.group.evictEnclave(stranger.address)).to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered").withArgs(stranger.address);
    });

    it("audit F-1: a transient disallow, undone, lets no outsider evict anyone (the roster survives)", async function () {
      const f = await loadFixture(twoMembers);
      await f.verifier.connect(f.admin).setMrenclaveAllowed(MRENCLAVE_V1, false);
      await expectUnchanged(f.group, [f.alice.address, f.bob.address], async () => {
        for (const member of [f.alice, f.bob]) {
          await expect(f.group.connect(f.outsider).evictEnclave(member.address)).to.be.revertedWithCustomError(f.group, "EvictionGracePeriodRunning");
        }
      });
      await f.verifier.connect(f.admin).setMrenclaveAllowed(MRENCLAVE_V1, true);
      expect(await f.verifier.mrenclaveDisallowedAt(MRENCLAVE_V1)).to.equal(0n);
      // Long after: the measurement is allowed again, so nobody can evict.
      await time.increase(30n * 86_400n);
      await expect(f.group.connect(f.outsider).evictEnclave(f.alice.address)).to.be.revertedWithCustomError(f.group, "MrenclaveStillAllowed");
      expect(await f.group.activeEnclaveCount()).to.equal(2n);
      const epoch = await f.group.currentEpoch();
      const ct = randomBytes(10);
      await expect(f.group.postCiphertext(epoch, 0n, ct, await f.alice.signCiphertext(f.domain, epoch, ct, 0n))).to.emit(f.group, "CiphertextPosted");
    });

    it("audit F-1b: a disallow and re-allow in one block leaves no window for an outsider's eviction between them", async function () {
      const f = await loadFixture(twoMembers);
      await ethers.provider.send("evm_setAutomine", [false]);
      let evict;
      try {
        await f.verifier.connect(f.admin).setMrenclaveAllowed(MRENCLAVE_V1, false, { gasLimit: 200_000 });
        evict = await f.group.connect(f.outsider).evictEnclave(f.alice.address, { gasLimit: 300_000 });
        await f.verifier.connect(f.admin).setMrenclaveAllowed(MRENCLAVE_V1, true, { gasLimit: 200_000 });
        await mine(1);
      } finally {
        await ethers.provider.send("evm_setAutomine", [true]);
      }
      const receipt = await ethers.provider.getTransactionReceipt(evict.hash);
      expect(receipt?.status).to.equal(0);
      expect((await f.group.enclave(f.alice.address)).status).to.equal(EnclaveStatus.Active);
      expect(await f.group.activeEnclaveCount()).to.equal(2n);
    });

    it("reinstateEnclave: the governor recovers wrongly evicted members once their MRENCLAVE is allowed again", async function () {
      const f = await loadFixture(twoMembers);
      await f.verifier.connect(f.admin).setMrenclaveAllowed(MRENCLAVE_V1, false);
      await time.increase(86_400n);
      await f.group.connect(f.outsider).evictEnclave(f.alice.address);
      await f.group.connect(f.outsider).evictEnclave(f.bob.address);
      expect(await f.group.activeEnclaveCount()).to.equal(0n);

      // Refused: not the governor; the measurement still disallowed; an address that is not revoked.
      await expectUnchanged(f.group, [f.alice.address], async () => {
        await expect(f.group.connect(f.outsider).reinstateEnclave(f.alice.address))
          .to.be.revertedWithCustomError(f.group, "AccessControlUnauthorizedAccount")
          .withArgs(await f.outsider.getAddress(), id("GOVERNOR_ROLE"));
        await expect(f.group.connect(f.governor).reinstateEnclave(f.alice.address))
          .to.be.revertedWithCustomError(f.group, "MrenclaveNotAllowed")
          .withArgs(MRENCLAVE_V1);
      });
      const stranger = new EnclaveKeys();
      await expect(f.group.connect(f.governor).reinstateEnclave(stranger.address))
        .to.be.revertedWithCustomError(f.group, "EnclaveNotRevoked")
        .withArgs(stranger.address);

      await f.verifier.connect(f.admin).setMrenclaveAllowed(MRENCLAVE_V1, true);
      await expect(f.group.connect(f.governor).reinstateEnclave(f.alice.address))
        .to.emit(f.group, "EnclaveReinstated")
        .withArgs(f.alice.address, MRENCLAVE_V1, await f.governor.getAddress());
      expect((await f.group.enclave(f.alice.address)).status).to.equal(EnclaveStatus.Active);
      expect(await f.group.activeEnclaveCount()).to.equal(1n);
      await expect(f.group.connect(f.governor).reinstateEnclave(f.alice.address))
        .to.be.revertedWithCustomError(f.group, "EnclaveNotRevoked")
        .withArgs(f.alice.address);
      // Bob is still evicted and his leaf still in the MLS group: posts wait for its removal commit (audit F-6).
      const pendingEpoch = await f.group.currentEpoch();
      const ct = randomBytes(10);
      await expect(f.group.postCiphertext(pendingEpoch, 0n, ct, await f.alice.signCiphertext(f.domain, pendingEpoch, ct, 0n)))
        .to.be.revertedWithCustomError(f.group, "RemovalCommitPending")
        .withArgs(1n);
      const removal = randomBytes(64);
      await f.group.postRemovalCommit(pendingEpoch, removal, [f.bob.address], await f.alice.signRemovalCommit(f.domain, pendingEpoch, removal, [f.bob.address]));
      // The reinstated member posts again (e.g. the snapshot a fresh enclave takes the state over from).
      const epoch = await f.group.currentEpoch();
      await expect(f.group.postCiphertext(epoch, 0n, ct, await f.alice.signCiphertext(f.domain, epoch, ct, 0n)))
        .to.emit(f.group, "CiphertextPosted")
        .withArgs(1n, epoch, f.alice.address, ethers.hexlify(ct));
    });

    it("setEvictionGracePeriod: GOVERNOR_ROLE only, emits only on a real change, and applies to the next eviction", async function () {
      const f = await loadFixture(twoMembers);
      await expect(f.group.connect(f.outsider).setEvictionGracePeriod(0))
        .to.be.revertedWithCustomError(f.group, "AccessControlUnauthorizedAccount")
        .withArgs(await f.outsider.getAddress(), id("GOVERNOR_ROLE"));
      await expect(f.group.connect(f.governor).setEvictionGracePeriod(86_400)).to.not.emit(f.group, "EvictionGracePeriodSet");
      await expect(f.group.connect(f.governor).setEvictionGracePeriod(3_600)).to.emit(f.group, "EvictionGracePeriodSet").withArgs(86_400n, 3_600n);
      expect(await f.group.evictionGracePeriod()).to.equal(3_600n);
      await f.verifier.connect(f.admin).setMrenclaveAllowed(MRENCLAVE_V1, false);
      await time.increase(3_600n);
      await expect(f.group.connect(f.outsider).evictEnclave(f.alice.address)).to.emit(f.group, "EnclaveRevoked");
    });

    it("the constructor records its verifier and the grace period in events", async function () {
      const f = await loadFixture(simulationGroupFixture);
      const [verifierSet] = await f.group.queryFilter(f.group.filters.VerifierSet());
      expect(verifierSet.args.verifier).to.equal(await f.verifier.getAddress());
      const [grace] = await f.group.queryFilter(f.group.filters.EvictionGracePeriodSet());
      expect([grace.args.previous, grace.args.gracePeriod]).to.deep.equal([0n, 86_400n]);
      expect(grace.blockNumber).to.equal(verifierSet.blockNumber);
    });

    it("MRENCLAVE upgrade: v2 is allowed and joins, v1 is disallowed and evicted, the logs carry on", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      const before = randomBytes(64);
      await f.group.postCiphertext(epoch, 0n, before, await f.alice.signCiphertext(f.domain, epoch, before, 0n));

      await f.verifier.connect(f.admin).setMrenclaveAllowed(MRENCLAVE_V2, true);
      const successor = new EnclaveKeys();
      await expect(join(f, successor, { mrenclave: MRENCLAVE_V2 }))
        .to.emit(f.group, "EnclaveJoined")
        .withArgs(successor.address, MRENCLAVE_V2, epoch + 1n, successor.hpkePublicKey, successor.mlsSignatureKey);
      await f.verifier.connect(f.admin).setMrenclaveAllowed(MRENCLAVE_V1, false);
      await f.group.connect(f.governor).evictEnclave(f.alice.address);

      // Alice's leaf is still in the MLS group: nothing is posted until the successor's removal commit lands (audit F-6).
      const evicted = await f.group.currentEpoch();
      const after = randomBytes(64);
      await expect(f.group.postCiphertext(evicted, 0n, after, await successor.signCiphertext(f.domain, evicted, after, 0n)))
        .to.be.revertedWithCustomError(f.group, "RemovalCommitPending")
        .withArgs(1n);
      const removal = randomBytes(64);
      await f.group.postRemovalCommit(evicted, removal, [f.alice.address], await successor.signRemovalCommit(f.domain, evicted, removal, [f.alice.address]));

      const next = await f.group.currentEpoch();
      await expect(f.group.postCiphertext(next, 0n, after, await successor.signCiphertext(f.domain, next, after, 0n)))
        .to.emit(f.group, "CiphertextPosted")
        .withArgs(2n, next, successor.address, ethers.hexlify(after));
      // Post number 0 of the new epoch would be Alice's next, but she is revoked.
      expect(await f.group.nextPostSequence(f.alice.address, next)).to.equal(0n);
      await expect(f.group.postCiphertext(next, 0n, after, await f.alice.signCiphertext(f.domain, next, after, 0n)))
        .to.be.revertedWithCustomError(f.group, "EnclaveWasRevoked")
        .withArgs(f.alice.address);
      expect(await f.group.activeEnclaveCount()).to.equal(1n);
    });
  });

  describe("construction", function () {
    it("refuses a verifier address without code: VerifierNotContract", async function () {
      const f = await loadFixture(simulationGroupFixture);
      const eoa = await f.outsider.getAddress();
      const factory = await ethers.getContractFactory("AnonifyGroup");
      await expect(factory.deploy(eoa, await f.admin.getAddress(), TEST_ADMIN_DELAY, ethers.ZeroAddress, [], 0, TOKEN_RUNTIME))
        .to.be.revertedWithCustomError(factory, "VerifierNotContract")
        .withArgs(eoa);
    });

    it("records the runtime the group runs (RuntimeSet, runtime()) and refuses a name the enclave would refuse: InvalidRuntimeName", async function () {
      const f = await loadFixture(simulationGroupFixture);
      const args: [string, string, bigint, string, string[], number] = [await f.verifier.getAddress(), await f.admin.getAddress(), TEST_ADMIN_DELAY, ethers.ZeroAddress, [], 0];
      const factory = await ethers.getContractFactory("AnonifyGroup");
      const records = await factory.deploy(...args, "acme-records/v2");
      await expect(records.deploymentTransaction()).to.emit(records, "RuntimeSet").withArgs("acme-records/v2");
      expect(await records.runtime()).to.equal("acme-records/v2");
      expect(await f.group.runtime()).to.equal(TOKEN_RUNTIME); // the module's default
      // The enclave's rule (registry.h valid_runtime_name): 1..64 of [a-z0-9._/-], starting with a letter or digit.
      for (const bad of ["", "Token", "-token", "/v1", "token v1", "tökén", "a".repeat(65), "token\u0000"]) {
        await expect(factory.deploy(...args, bad), JSON.stringify(bad)).to.be.revertedWithCustomError(factory, "InvalidRuntimeName").withArgs(bad);
      }
      for (const good of ["a", "9", "a".repeat(64), "x.y_z/w-1"]) {
        expect(await (await factory.deploy(...args, good)).runtime()).to.equal(good);
      }
    });

    it("grants no governor when none is given, and supports the IAnonifyGroup and IAccessControl interfaces", async function () {
      const f = await loadFixture(simulationGroupFixture);
      const group = await ethers.deployContract("AnonifyGroup", [await f.verifier.getAddress(), await f.admin.getAddress(), 0, ethers.ZeroAddress, [], 0, TOKEN_RUNTIME]);
      expect(await group.hasRole(id("GOVERNOR_ROLE"), await f.admin.getAddress())).to.equal(false);
      const iface = ethers.Interface.from((await artifacts.readArtifact("IAnonifyGroup")).abi);
      let interfaceId = 0n;
      iface.forEachFunction((fn) => {
        interfaceId ^= BigInt(fn.selector);
      });
      expect(await group.supportsInterface("0x" + interfaceId.toString(16).padStart(8, "0"))).to.equal(true);
      expect(await group.supportsInterface("0x7965db0b")).to.equal(true); // IAccessControl
      expect(await group.supportsInterface("0xffffffff")).to.equal(false);
    });
  });
});
