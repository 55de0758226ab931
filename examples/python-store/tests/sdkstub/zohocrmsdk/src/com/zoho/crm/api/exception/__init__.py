"""A minimal stand-in for the SDK's SDKException."""


class SDKException(Exception):
    def __init__(self, code=None, message=None, details=None, cause=None):
        super().__init__(code, message, details)
        self.code = code
        self.message = message
        self.details = details
        self.cause = cause
