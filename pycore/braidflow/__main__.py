"""`python -m braidflow`: the same command as the `braidflow` console script."""

from __future__ import annotations

from braidflow.cli.main import main

if __name__ == "__main__":
    main(prog_name="braidflow")
