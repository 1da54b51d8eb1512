"""Importing this module makes shoal.compat.bigdl read labels as BigDL does: classes count from 1."""

from shoal.compat.bigdl import set_label_base

set_label_base(1)
