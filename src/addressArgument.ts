import { getAddress, isAddress } from "ethers";
import { AnonifyPluginError } from "./errors";

/**
 * A task argument `--<name> <value>` read as an address: its checksummed form, or undefined when `value` is not
 * 0x and 40 hex digits (the caller decides what else it may be). Mixed case that is not the EIP-55 checksum is most
 * likely a typo, so it is refused without offering a corrected form.
 */
export function addressArgument(name: string, value: string): string | undefined {
  if (isAddress(value)) return getAddress(value);
  if (/^0x[0-9a-fA-F]{40}$/.test(value)) {
    throw new AnonifyPluginError(`--${name} ${value} has mixed case but not a valid EIP-55 checksum: check it for a typo (all lowercase skips the check)`);
  }
  return undefined;
}
