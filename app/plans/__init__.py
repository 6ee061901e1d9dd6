"""Filling plans: load the plan with its window in one query, save, submit, reopen."""
