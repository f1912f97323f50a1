/**
 * eth_calls through contracts/test/CallCatcher.sol: a refusal comes back as the revert data of a call that returned.
 * Hardhat's network builds a Solidity stack trace for every eth_call that reverts at the top level, which after a
 * multi-million-gas DCAP verification or collateral upsert costs several times the call itself (a refused upsert
 * in dcapDifferential.test.ts: ~117 ms as a plain eth_call, ~43 ms caught). The verdict is the same: the target's
 * revert data, or its return value. Only for functions that do not read `msg.sender`.
 */
import hre from "hardhat";
import type { BaseContract, ContractRunner, Result } from "ethers";

/** contracts/test/CallCatcher.sol as deployed by {@link deployCatcher}. */
export interface Catcher extends BaseContract {
  tryCall: { staticCall(target: string, data: string, overrides?: { gasLimit?: number | bigint }): Promise<[boolean, string]> };
}

/** What a caught call gave: the decoded return value (one output unwrapped, as ethers' staticCall does) or the revert data. */
export type Caught = { returned: true; value: unknown } | { returned: false; error: Error & { data: string } };

/** Deploys a CallCatcher with `runner` (a signer of the chain the targets live on). */
export async function deployCatcher(runner?: ContractRunner): Promise<Catcher> {
  const factory = await hre.ethers.getContractFactory("CallCatcher", runner as never);
  const catcher = (await factory.deploy()) as unknown as Catcher;
  await catcher.waitForDeployment();
  return catcher;
}

/**
 * `target.method(...args)` as an eth_call through `catcher`. A refusal's `error` has the shape `decodeRevert` reads
 * (`{ data }`); `gasLimit` is the outer call's (the target gets 63/64 of what is left).
 */
export async function caughtCall(
  catcher: Catcher,
  target: BaseContract,
  method: string,
  args: readonly unknown[],
  gasLimit?: number | bigint,
): Promise<Caught> {
  const data = target.interface.encodeFunctionData(method, args);
  const [success, result] = await catcher.tryCall.staticCall(await target.getAddress(), data, gasLimit === undefined ? {} : { gasLimit });
  if (!success) return { returned: false, error: Object.assign(new Error(`${method} reverted (caught by CallCatcher)`), { data: result }) };
  const decoded: Result = target.interface.decodeFunctionResult(method, result);
  return { returned: true, value: decoded.length === 1 ? decoded[0] : decoded };
}
