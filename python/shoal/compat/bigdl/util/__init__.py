"""bigdl.util over shoal."""
