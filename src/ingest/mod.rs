//! ingest (being written).
