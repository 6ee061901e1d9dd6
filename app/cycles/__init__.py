"""Cycles (學年度), their windows per plan kind and stage, extensions and the roster snapshot."""
