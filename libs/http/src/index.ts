export { createHttpCaller } from './http-caller.js';
export type {
  CallError,
  CallOutcome,
  CallRequest,
  HttpCaller,
  HttpCallerOptions,
} from './types.js';
export {
  SIGNATURE_HEADER,
  sign,
  signatureHeader,
  verifySignature,
  type VerifyInput,
  type VerifyResult,
} from './signature.js';
export {
  classifyAddress,
  classifyAddressDetail,
  type AddressClass,
  type Classification,
} from './address-class.js';
export { checkAddress, type AddressPolicy, type AddressVerdict } from './address-policy.js';
export { AddressRefusedError } from './guarded-connect.js';
