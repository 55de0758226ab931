"""A minimal stand-in for the SDK's UserSignature."""


class UserSignature:
    def __init__(self, name):
        self._name = name

    def get_name(self):
        return self._name
