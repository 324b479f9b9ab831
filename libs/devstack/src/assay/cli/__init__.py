"""The ``assay`` command line: run a local stack, mint tokens, submit and follow jobs."""
