"""Tools for braidflow's own developers (stub generation); not used by flows or the client."""
