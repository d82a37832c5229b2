export { SecretBox, REDACTED, sealHeaders, redactHeaders, openHeaders } from './secret-box.js';
