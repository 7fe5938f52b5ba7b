"""Support code for the step definitions: API client, feed listener, server
process control, expected delays and matchers.

It lives in a package below steps/ because behave imports every module
directly in steps/ as step definitions. Import it as ``steps.support...``:
behave keeps the repository root on sys.path for the whole run.
"""
