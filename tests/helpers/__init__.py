"""Helpers shared by the test suites (no tests here): a suite imports these, never another
suite's test files."""
