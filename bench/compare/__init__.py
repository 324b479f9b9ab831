"""Side-by-side benchmark of Assay and the seeds' peer (see bench/README.md)."""
