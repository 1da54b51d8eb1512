"""bigdl.optim over shoal."""
