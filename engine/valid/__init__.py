"""Validation: module and function typing rules, subtyping, constant
expressions."""
