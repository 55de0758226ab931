"""A minimal stand-in for the SDK's abstract TokenStore."""

from abc import ABC, abstractmethod


class TokenStore(ABC):
    @abstractmethod
    def find_token(self, token):
        pass

    @abstractmethod
    def save_token(self, token):
        pass

    @abstractmethod
    def delete_token(self, id):
        pass

    @abstractmethod
    def get_tokens(self):
        pass

    @abstractmethod
    def delete_tokens(self):
        pass

    @abstractmethod
    def find_token_by_id(self, id):
        pass
