// A minimal stand-in for the SDK's Token base class.
export class Token {}
