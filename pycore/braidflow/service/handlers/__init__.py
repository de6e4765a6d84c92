"""The service's RPC handlers: thin adapters from requests to the embedded stores and back."""
