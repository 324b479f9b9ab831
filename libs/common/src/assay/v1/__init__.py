"""Generated protobuf code for the assay.v1 API."""
