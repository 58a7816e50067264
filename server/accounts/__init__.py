"""Departments, users, roles, devices and tokens."""
