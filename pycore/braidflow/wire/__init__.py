"""The wire format of the gRPC service: generated messages (`_gen/`), record conversions, errors."""
