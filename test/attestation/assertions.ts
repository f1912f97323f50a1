import { expect } from "chai";
import { IasVerificationError, type IasErrorArgument } from "../../src/attestation";

/** Runs `fn` and asserts it throws IasVerificationError with exactly this code and these arguments. */
export function expectIasError(fn: () => unknown, code: string, args: IasErrorArgument[] = []): IasVerificationError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected ${code}`).to.be.instanceOf(IasVerificationError);
  const err = thrown as IasVerificationError;
  expect(err.code, err.message).to.equal(code);
  expect(err.args).to.deep.equal(args);
  return err;
}
