"""Compatibility layers that let scripts written for other libraries run on shoal with their imports changed."""
