// A minimal stand-in for the SDK's SDKException(code, message, details,
// cause). As Zoho documents it, the message carries the details (as JSON)
// and the cause (as a string) too, so whatever a store puts in details or
// cause ends up in logs: the tests check that no key or token does.
export class SDKException extends Error {
  constructor(code, message, details = null, cause = null) {
    super();
    this.code = code;
    this.details = details;
    this.cause = cause;
    let text = message == null ? "" : String(message);
    if (details != null) {
      text += JSON.stringify(details);
    }
    if (cause != null) {
      text += String(cause);
    }
    this.message = text;
  }

  toString() {
    return "Caused By : " + (this.code != null ? this.code + " - " : "") + this.message;
  }
}
