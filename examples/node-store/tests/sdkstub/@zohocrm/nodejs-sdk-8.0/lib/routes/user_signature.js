// A minimal stand-in for the SDK's UserSignature: a name ("email:zgid").
export class UserSignature {
  constructor(name) {
    this.name = name;
  }

  getName() { return this.name; }
}
