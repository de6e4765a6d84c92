"""The braidflow gRPC service: `braidflow service start` serves the embedded stores to a team."""
