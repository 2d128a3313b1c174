/** The SDK version recorded in audit records; kept in step with package.json by a test. */
export const SDK_VERSION = '0.1.0';
