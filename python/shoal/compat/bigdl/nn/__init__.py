"""bigdl.nn over shoal."""
